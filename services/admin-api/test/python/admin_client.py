"""A Python client of the admin API, for services/admin-api/test/python-client.int.test.ts.

Generates Python stubs (messages and gRPC stubs) with grpc_tools.protoc from the descriptor set that buf
compiles from proto/ (Debian's grpc_tools bundles a protoc that predates proto3 `optional`, so it reads
the compiled descriptors rather than the .proto text), then calls the API with them:

    python3 admin_client.py DESCRIPTOR_SET STUB_DIR TARGET TOKEN

and prints one JSON object: every ListAgents page (page_size 2) as base64 bytes, the agents' names and
statuses as Python sees them, a filtered list, the status code of a call without a token and of an
unknown agent, and the agent it created.
"""

import base64
import json
import sys

from grpc_tools import protoc

descriptor_set, stub_dir, target, token = sys.argv[1:5]
files = [
    "switchyard/admin/v1/%s.proto" % name
    for name in ("account", "agents", "audio", "audio_files", "calls", "flows", "groups", "numbers", "queues")
]
if protoc.main(
    ["protoc", "--descriptor_set_in=" + descriptor_set, "--python_out=" + stub_dir, "--grpc_python_out=" + stub_dir]
    + files
):
    sys.exit("grpc_tools.protoc failed")
sys.path.insert(0, stub_dir)

import grpc  # noqa: E402
from switchyard.admin.v1 import agents_pb2, agents_pb2_grpc  # noqa: E402

channel = grpc.insecure_channel(target)
agents = agents_pb2_grpc.AgentServiceStub(channel)
auth = [("authorization", "Bearer " + token)]

pages, names, statuses = [], [], []
page_token = ""
while True:
    page = agents.ListAgents(agents_pb2.ListAgentsRequest(page_size=2, page_token=page_token), metadata=auth, timeout=10)
    pages.append(base64.b64encode(page.SerializeToString()).decode("ascii"))
    names += [a.name for a in page.agents]
    statuses += [agents_pb2.Agent.Status.Name(a.status) for a in page.agents]
    page_token = page.next_page_token
    if not page_token:
        break

filtered = agents.ListAgents(agents_pb2.ListAgentsRequest(page_size=10, filter='group = "groups/py_sales"'), metadata=auth, timeout=10)


def code_of(thunk):
    try:
        thunk()
        return "OK"
    except grpc.RpcError as error:
        return error.code().name


created = agents.CreateAgent(
    agents_pb2.CreateAgentRequest(agent_id="py_made", agent=agents_pb2.Agent(display_name="Made In Python", sip_uri="sip:py@pbx.example.com")),
    metadata=auth,
    timeout=10,
)

print(
    json.dumps(
        {
            "pages": pages,
            "names": names,
            "statuses": statuses,
            "filtered": [a.name for a in filtered.agents],
            "withoutToken": code_of(lambda: agents.ListAgents(agents_pb2.ListAgentsRequest(page_size=1), timeout=10)),
            "unknownAgent": code_of(lambda: agents.GetAgent(agents_pb2.GetAgentRequest(name="agents/ghost"), metadata=auth, timeout=10)),
            "badPhone": code_of(
                lambda: agents.CreateAgent(
                    agents_pb2.CreateAgentRequest(agent_id="py_bad", agent=agents_pb2.Agent(display_name="Bad", phone_number="555")),
                    metadata=auth,
                    timeout=10,
                )
            ),
            "created": {"name": created.name, "sipUri": created.sip_uri, "etag": created.etag},
        }
    )
)
channel.close()
