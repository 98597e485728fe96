#!/usr/bin/python3
"""notifyd's gRPC API driven by a client that is not ours: Debian's python3-grpcio, with stubs
generated from proto/ alone by Debian's protoc and grpc_python_plugin. Checks Notify,
ListAlerts, the standard health service and server reflection.

Run by ctest as: /usr/bin/python3 grpc_client_test.py <notifyd binary> <proto dir>
"""

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import unittest

NOTIFYD, PROTO_DIR = sys.argv[1], sys.argv[2]
del sys.argv[1:3]

import grpc  # noqa: E402  (python3-grpcio)

GEN_DIR = tempfile.mkdtemp(prefix="grpc-py-")
subprocess.run(
    ["/usr/bin/protoc", "-I", PROTO_DIR, "--python_out", GEN_DIR, "--grpc_python_out", GEN_DIR,
     "--plugin=protoc-gen-grpc_python=/usr/bin/grpc_python_plugin",
     "wecom_notify/v1/notify.proto"],
    check=True)
sys.path.insert(0, GEN_DIR)
from wecom_notify.v1 import notify_pb2, notify_pb2_grpc  # noqa: E402


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class NotifydGrpcTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="notifyd-py-")
        cls.address = "127.0.0.1:%d" % free_port()
        cls.log = open(os.path.join(cls.dir, "notifyd.log"), "w")
        cls.proc = subprocess.Popen(
            [NOTIFYD, "--grpc.listen-address=" + cls.address,
             "--web.listen-address=127.0.0.1:%d" % free_port(),
             "--storage.path=" + os.path.join(cls.dir, "data")],
            stdout=cls.log, stderr=cls.log)
        cls.channel = grpc.insecure_channel(cls.address)
        grpc.channel_ready_future(cls.channel).result(timeout=15)
        cls.notify = notify_pb2_grpc.NotifyStub(cls.channel)

    @classmethod
    def tearDownClass(cls):
        cls.channel.close()
        os.kill(cls.proc.pid, signal.SIGTERM)
        cls.proc.wait(timeout=15)
        cls.log.close()

    def test_notify_then_list(self):
        request = notify_pb2.NotifyRequest(source=notify_pb2.ALERT_SOURCE_GRPC)
        good = request.alerts.add()
        good.labels["alertname"] = "FromPython"
        good.labels["team"] = "platform"
        good.annotations["summary"] = "来自 Python 客户端"
        bad = request.alerts.add()
        bad.labels["bad-name"] = "x"
        response = self.notify.Notify(request, timeout=5)
        self.assertEqual(response.accepted, 1)
        self.assertEqual(len(response.rejected), 1)
        self.assertEqual(response.rejected[0].index, 1)
        self.assertEqual(response.rejected[0].field, "labels.bad-name")

        listed = self.notify.ListAlerts(notify_pb2.ListAlertsRequest(matchers=[
            notify_pb2.LabelMatcher(name="team", type=notify_pb2.LabelMatcher.REGEX,
                                    value="plat.*")]), timeout=5)
        self.assertEqual(len(listed.alerts), 1)
        alert = listed.alerts[0]
        self.assertEqual(alert.labels["alertname"], "FromPython")
        self.assertEqual(alert.annotations["summary"], "来自 Python 客户端")
        self.assertEqual(alert.status, notify_pb2.ALERT_STATUS_FIRING)
        self.assertEqual(len(alert.fingerprint), 16)

    def test_bad_matcher_is_invalid_argument_naming_it(self):
        with self.assertRaises(grpc.RpcError) as raised:
            self.notify.ListAlerts(notify_pb2.ListAlertsRequest(matchers=[
                notify_pb2.LabelMatcher(name="severity", type=notify_pb2.LabelMatcher.REGEX,
                                        value="(")]), timeout=5)
        self.assertEqual(raised.exception.code(), grpc.StatusCode.INVALID_ARGUMENT)
        self.assertIn("severity", raised.exception.details())

    def test_health_is_serving(self):
        # grpc.health.v1 messages encoded by hand (generated stubs would shadow the grpc
        # package): an empty HealthCheckRequest; SERVING is field 1 = varint 1.
        check = self.channel.unary_unary("/grpc.health.v1.Health/Check",
                                         request_serializer=lambda b: b,
                                         response_deserializer=lambda b: b)
        self.assertEqual(check(b"", timeout=5), b"\x08\x01")

    def test_reflection_lists_the_notify_service(self):
        # grpc.reflection.v1alpha.ServerReflectionRequest{list_services: ""}: field 7, empty
        # string. Encoded by hand: python3-grpcio ships no reflection client.
        call = self.channel.stream_stream(
            "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo",
            request_serializer=lambda b: b, response_deserializer=lambda b: b)
        answer = b"".join(call(iter([b"\x3a\x00"]), timeout=5))
        self.assertIn(b"wecom_notify.v1.Notify", answer)
        self.assertIn(b"grpc.health.v1.Health", answer)


if __name__ == "__main__":
    run = unittest.main(verbosity=2, exit=False)
    # As the C++ tests' MakeTempDir: the files are kept for reading only when a test failed.
    if run.result.wasSuccessful():
        shutil.rmtree(GEN_DIR, ignore_errors=True)
        shutil.rmtree(NotifydGrpcTest.dir, ignore_errors=True)
    else:
        print(f"kept for reading: {GEN_DIR} {getattr(NotifydGrpcTest, 'dir', '')}",
              file=sys.stderr)
    sys.exit(0 if run.result.wasSuccessful() else 1)
