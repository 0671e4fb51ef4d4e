"""Managed identities against the fake Azure Arc agent (HIMDS) and VM metadata service (IMDS).

Arc's challenge names a key file that the plugin reads only from /var/opt/azcmagent/tokens,
so these tests point the fake's key directory there (they run as root, as CI does) and
remove what they create. Registry traffic goes through the fake's CONNECT proxy, which also
shows that metadata requests never do.
"""

import copy
import os
import shutil
import unittest
from pathlib import Path

from harness import IntegrationTestCase, request, summary

ARC_TOKENS = Path("/var/opt/azcmagent/tokens")
REGISTRY = "myacr.azurecr.io"
V1 = "credentialprovider.kubelet.k8s.io/v1"
USER_ASSIGNED = "5e8f1a2b-3c4d-4e5f-8a9b-0c1d2e3f4a5b"


class ManagedIdentityTest(IntegrationTestCase):
    @classmethod
    def setUpClass(cls):
        created = not ARC_TOKENS.exists()
        ARC_TOKENS.mkdir(parents=True, exist_ok=True)
        if created:
            cls.addClassCleanup(shutil.rmtree, "/var/opt/azcmagent", ignore_errors=True)
        super().setUpClass()

    def setUp(self):
        super().setUp()
        scenario = copy.deepcopy(self.class_scenario)
        scenario["himds"]["key_dir"] = str(ARC_TOKENS)
        scenario["himds"]["user_assigned"] = {USER_ASSIGNED: {}}
        scenario["registries"][REGISTRY]["acrpull"].append(USER_ASSIGNED)
        self.set_scenario(scenario)
        self.addCleanup(self.remove_key_files)

    def set_scenario(self, scenario):
        self.fake.set_scenario(scenario)
        self.scenario = scenario

    def remove_key_files(self):
        for key in ARC_TOKENS.glob("*.key"):
            key.unlink()

    def invoke(self, config, env=None, verbose=False):
        config = {"cacheDir": str(self.new_dir("cache-")), "caBundleFile": self.fake.ca, **config}
        args = ["--config", str(self.write_config(config))] + (["-v", "1"] if verbose else [])
        proxy = {"HTTPS_PROXY": f"http://127.0.0.1:{self.fake.ports['proxy']}"}
        return self.run_plugin(args, request(V1, f"{REGISTRY}/team/app"), {**proxy, **(env or {})})

    def arc_environment(self):
        return {"IDENTITY_ENDPOINT": self.fake.identity_endpoint("himds"),
                "IMDS_ENDPOINT": f"http://127.0.0.1:{self.fake.ports['himds']}"}

    def assert_password(self, result):
        auth = self.assert_success(result)["auth"]
        self.assertEqual(list(auth), [REGISTRY])
        return auth[REGISTRY]["password"]

    def test_arc_is_found_through_its_environment_and_answers_the_challenge(self):
        result = self.invoke({"managedIdentity": "auto"}, self.arc_environment())
        self.assert_password(result)
        requests = self.fake.requests()
        self.assertEqual(summary(requests), [("himds", 401), ("himds", 200), ("exchange", 200)])
        challenge, answer, exchange = requests
        for metadata_request in (challenge, answer):
            self.assertEqual(metadata_request["headers"].get("metadata"), "true")
            self.assertEqual(metadata_request["query"]["resource"],
                             "https://containerregistry.azure.net")
        self.assertNotIn("authorization", challenge["headers"])
        key = Path(challenge["key_file"]).read_text().strip()
        self.secrets.add(key)
        self.assert_no_secret_leak(result)
        self.assertEqual(answer["headers"]["authorization"], f"Basic {key}")
        self.assertEqual(exchange["form"]["tenant"], self.scenario["himds"]["tenant"])
        self.assertEqual(self.fake.connects(), [f"{REGISTRY}:443"],
                         "metadata requests must not go through the proxy")

    def test_arc_is_found_by_its_agent_when_the_variables_are_missing(self):
        marker = Path("/opt/azcmagent/bin/himds")
        if marker.exists():
            self.skipTest("a real Azure Arc agent is installed here")
        marker.parent.mkdir(parents=True)
        self.addCleanup(shutil.rmtree, "/opt/azcmagent")
        marker.write_text("")
        # Nothing of ours listens on the agent's port, so the attempt fails, naming where the
        # plugin went: the agent's default endpoint, not IMDS.
        line = self.assert_failure(self.invoke({"managedIdentity": "auto", "timeoutSeconds": 3}))
        self.assertIn("Azure Arc managed identity at 127.0.0.1:40342", line)
        self.assertEqual(self.fake.requests(), [])

    def test_user_assigned_arc_identity(self):
        config = {"managedIdentity": "arc", "managedIdentityClientId": USER_ASSIGNED,
                  "managedIdentityEndpoint": self.fake.identity_endpoint("himds")}
        self.assert_password(self.invoke(config))
        self.assertEqual(self.fake.requests()[1]["query"]["client_id"], USER_ASSIGNED)

    def test_old_agent_answering_for_the_system_identity_is_refused(self):
        scenario = copy.deepcopy(self.scenario)
        scenario["himds"]["ignore_client_id"] = True
        self.set_scenario(scenario)
        config = {"managedIdentity": "arc", "managedIdentityClientId": USER_ASSIGNED,
                  "managedIdentityEndpoint": self.fake.identity_endpoint("himds")}
        line = self.assert_failure(self.invoke(config))
        self.assertIn(f"instead of {USER_ASSIGNED}", line)
        self.assertEqual(summary(self.fake.requests()), [("himds", 401), ("himds", 200)])

    def test_key_file_outside_the_agents_directory_is_never_read(self):
        outside = self.new_dir("elsewhere-") / "planted.key"
        scenario = copy.deepcopy(self.scenario)
        scenario["himds"]["realm_path_override"] = str(outside)
        self.set_scenario(scenario)
        line = self.assert_failure(self.invoke({"managedIdentity": "auto"},
                                               self.arc_environment()))
        self.assertIn("refused", line)
        self.assertIn(str(outside), line)
        self.assertEqual(summary(self.fake.requests()), [("himds", 401)],
                         "nothing may be sent after a challenge naming another file")

    def test_vm_identity_from_imds_with_its_retries(self):
        self.fake.faults("imds", [{"status": 410}, {"status": 429}])
        config = {"managedIdentity": "imds",
                  "managedIdentityEndpoint": self.fake.identity_endpoint("imds")}
        self.assert_password(self.invoke(config))
        requests = self.fake.requests()
        self.assertEqual(summary(requests), [("imds", 410), ("imds", 429), ("imds", 200),
                                             ("exchange", 200)])
        self.assertEqual(requests[0]["query"]["api-version"], "2018-02-01")
        self.assertEqual(self.fake.connects(), [f"{REGISTRY}:443"])

    def test_metadata_endpoint_must_be_on_this_machine(self):
        line = self.assert_failure(self.invoke(
            {"managedIdentity": "imds", "managedIdentityEndpoint": "http://10.1.2.3/token"}))
        self.assertIn("is not an http:// URL on this machine", line)
        self.assertEqual(self.fake.requests(), [])


if __name__ == "__main__":
    unittest.main()
