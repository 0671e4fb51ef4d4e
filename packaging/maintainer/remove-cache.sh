# The token cache holds ACR refresh tokens still valid for hours: it goes with the package.
# A cacheDir of the operator's own is theirs to remove.
rm -rf -- /run/acr-credential-provider
