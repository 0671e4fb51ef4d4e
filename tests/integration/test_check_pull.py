"""`check --image` proves the pull: after the exchange it asks the registry's token service for
a token scoped to the image's repository and HEADs the image's manifest with it, against the
fake's registry, which serves a scenario's manifests and can run in ACR's ABAC mode (where
AcrPull is ignored and only the repositories a role assignment names may be read).

Needs $ACRCP_BINARY.
"""

import unittest

from harness import IntegrationTestCase, summary

TENANT = "4c6e8a0b-2d4f-4a6c-8e0b-3d5f7a9c1e2b"
CLIENT = "6e8a0c2d-4f6b-4c8e-9a1d-5f7b9d1f3a4c"
SECRET = "Pq7Q~pull.Check_3Ls-9mKzXc2vB8uD1sF5gH7j"
REGISTRY = "myacr.azurecr.io"
ABAC_REGISTRY = "abacacr.azurecr.io"
DIGEST = "sha256:" + "ab" * 32
SCENARIO = {
    "tenants": {TENANT: {"apps": {CLIENT: {"secrets": [SECRET]}}}},
    "registries": {
        REGISTRY: {"acrpull": [CLIENT], "repositories": {"team/app": {"v1": DIGEST}}},
        ABAC_REGISTRY: {"acrpull": [CLIENT], "abac": {CLIENT: ["team/"]},
                        "repositories": {"team/app": {"v1": DIGEST}, "other/app": {"v1": DIGEST}}},
    },
}


class CheckPullTest(IntegrationTestCase):
    scenario = SCENARIO

    def check(self, image):
        config = self.write_config({"tenantId": TENANT, "clientId": CLIENT,
                                    "clientSecretFile": str(self.secret_file(SECRET)),
                                    "caBundleFile": self.fake.ca})
        result = self.run_plugin(["check", "--config", str(config), "--image", image], b"",
                                 {"HTTPS_PROXY": f"http://127.0.0.1:{self.fake.ports['proxy']}"})
        for kind in ("acr_refresh", "acr_access", "entra"):
            for token in self.fake.issued()[kind]:
                self.assertNotIn(token, result.stdout + result.stderr, f"a {kind} token was printed")
        return result

    def test_a_pullable_image(self):
        result = self.check(f"{REGISTRY}/team/app:v1")
        self.assertEqual(result.returncode, 0, result.stdout)
        self.assertIn(f"ok    pull: {REGISTRY}/team/app:v1 can be pulled ({DIGEST}, "
                      "application/vnd.oci.image.manifest.v1+json)", result.stdout)
        requests = self.fake.requests()
        self.assertEqual(summary(requests),
                         [("entra", 200), ("exchange", 200), ("token", 200), ("manifest", 200)])
        self.assertEqual(requests[2]["form"]["scope"], "repository:team/app:pull")
        self.assertEqual(requests[3]["method"], "HEAD")
        self.assertIn("application/vnd.oci.image.index.v1+json", requests[3]["headers"]["accept"])

    def test_by_digest(self):
        result = self.check(f"{REGISTRY}/team/app@{DIGEST}")
        self.assertEqual(result.returncode, 0, result.stdout)
        self.assertIn(f"pull: {REGISTRY}/team/app@{DIGEST} can be pulled", result.stdout)

    def test_a_missing_tag_or_repository(self):
        for image in (f"{REGISTRY}/team/app:v9", f"{REGISTRY}/nothing/here:v1"):
            with self.subTest(image):
                result = self.check(image)
                self.assertEqual(result.returncode, 1)
                self.assertIn(f"FAIL  pull: {image} does not exist (HTTP 404; list the tags", result.stdout)

    def test_abac_mode_ignores_acrpull(self):
        result = self.check(f"{ABAC_REGISTRY}/other/app:v1")
        self.assertEqual(result.returncode, 1)
        self.assertIn(f"ACR: {ABAC_REGISTRY} issued a refresh token", result.stdout,
                      "the identity signs in and exchanges")
        self.assertIn(f"FAIL  pull: signed in, but this identity may not read repository other/app "
                      f"of {ABAC_REGISTRY} (HTTP 401; a registry in ABAC "
                      "mode ignores AcrPull", result.stdout)
        result = self.check(f"{ABAC_REGISTRY}/team/app:v1")
        self.assertEqual(result.returncode, 0, result.stdout)


if __name__ == "__main__":
    unittest.main()
