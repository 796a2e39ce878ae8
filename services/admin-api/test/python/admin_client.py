"""A Python client of the admin API, for services/admin-api/test/python-client.int.test.ts.

Generates Python stubs (messages and gRPC stubs) with grpc_tools.protoc from the descriptor set that buf
compiles from proto/ (Debian's grpc_tools bundles a protoc that predates proto3 `optional`, so it reads
the compiled descriptors rather than the .proto text), then calls the API with them:

    python3 admin_client.py DESCRIPTOR_SET REFLECTION_PROTO STUB_DIR TARGET TOKEN

and prints one JSON object: every ListAgents page (page_size 2) as base64 bytes, the agents' names and
statuses as Python sees them, a filtered list, the status code of a call without a token and of an
unknown agent, the google.rpc.Status details of a refused CreateAgent (decoded with the vendored googleapis
protos from the same descriptor set), and the agent it created. Then, as a generic client with no admin stubs at all, it asks
server reflection (stubs for grpc.reflection.v1 only) for the services and the files describing
AgentService, builds the message classes from those descriptors alone, and calls ListAgents with them.
"""

import base64
import json
import os
import shutil
import sys

from grpc_tools import protoc

descriptor_set, reflection_proto, stub_dir, target, token = sys.argv[1:6]
files = [
    "switchyard/admin/v1/%s.proto" % name
    for name in ("account", "agents", "audio", "audio_files", "calls", "flows", "groups", "numbers", "queues")
]
if protoc.main(
    ["protoc", "--descriptor_set_in=" + descriptor_set, "--python_out=" + stub_dir, "--grpc_python_out=" + stub_dir]
    + files
):
    sys.exit("grpc_tools.protoc failed")
# The reflection protocol's stubs, under a module path that does not shadow the `grpc` package itself.
os.makedirs(os.path.join(stub_dir, "proto", "sy_reflection"))
shutil.copy(reflection_proto, os.path.join(stub_dir, "proto", "sy_reflection", "reflection.proto"))
if protoc.main(
    ["protoc", "-I" + os.path.join(stub_dir, "proto"), "--python_out=" + stub_dir, "--grpc_python_out=" + stub_dir]
    + ["sy_reflection/reflection.proto"]
):
    sys.exit("grpc_tools.protoc failed on the reflection protocol")
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


def rich_status(thunk):
    """The google.rpc.Status in the error's grpc-status-details-bin trailer, decoded with googleapis' protos."""
    from google.protobuf import descriptor_pb2, descriptor_pool, message_factory

    pool = descriptor_pool.DescriptorPool()
    with open(descriptor_set, "rb") as f:
        for file in descriptor_pb2.FileDescriptorSet.FromString(f.read()).file:
            if file.name.startswith("google/"):
                pool.Add(file)

    def cls(name):
        d = pool.FindMessageTypeByName(name)
        if hasattr(message_factory, "GetMessageClass"):
            return message_factory.GetMessageClass(d)
        return message_factory.MessageFactory(pool).GetPrototype(d)

    try:
        thunk()
        return None
    except grpc.RpcError as error:
        trailer = dict(error.trailing_metadata() or ()).get("grpc-status-details-bin")
        status = cls("google.rpc.Status").FromString(trailer)
        out = {"code": status.code, "message": status.message, "details": {}}
        for detail in status.details:
            kind = detail.type_url.split("/")[-1]
            message = cls(kind).FromString(detail.value)
            if kind == "google.rpc.BadRequest":
                out["details"][kind] = [v.field for v in message.field_violations]
            elif kind == "google.rpc.ErrorInfo":
                out["details"][kind] = {"reason": message.reason, "domain": message.domain}
            else:
                out["details"][kind] = str(message)
        return out


created = agents.CreateAgent(
    agents_pb2.CreateAgentRequest(agent_id="py_made", agent=agents_pb2.Agent(display_name="Made In Python", sip_uri="sip:py@pbx.example.com")),
    metadata=auth,
    timeout=10,
)


# --- A generic client: everything it knows about the admin API comes from server reflection. ---
from google.protobuf import descriptor_pb2, descriptor_pool, message_factory  # noqa: E402
from sy_reflection import reflection_pb2, reflection_pb2_grpc  # noqa: E402

reflection = reflection_pb2_grpc.ServerReflectionStub(channel)
answers = list(
    reflection.ServerReflectionInfo(
        iter(
            [
                reflection_pb2.ServerReflectionRequest(list_services=""),
                reflection_pb2.ServerReflectionRequest(file_containing_symbol="switchyard.admin.v1.AgentService"),
            ]
        ),
        timeout=10,
    )
)
services = sorted(s.name for s in answers[0].list_services_response.service)
files = [descriptor_pb2.FileDescriptorProto.FromString(b) for b in answers[1].file_descriptor_response.file_descriptor_proto]
pool = descriptor_pool.DescriptorPool()
pending = list(files)
while pending:  # imports first: add what the pool can resolve, until every file is in
    left = []
    for f in pending:
        try:
            pool.Add(f)
        except TypeError:
            left.append(f)
    if len(left) == len(pending):
        sys.exit("reflection's files do not resolve: " + ", ".join(f.name for f in left))
    pending = left


def message_class(full_name):
    descriptor = pool.FindMessageTypeByName(full_name)
    if hasattr(message_factory, "GetMessageClass"):
        return message_factory.GetMessageClass(descriptor)
    return message_factory.MessageFactory(pool).GetPrototype(descriptor)


method = pool.FindServiceByName("switchyard.admin.v1.AgentService").methods_by_name["ListAgents"]
Request, Response = message_class(method.input_type.full_name), message_class(method.output_type.full_name)
list_agents = channel.unary_unary(
    "/switchyard.admin.v1.AgentService/ListAgents",
    request_serializer=Request.SerializeToString,
    response_deserializer=Response.FromString,
)
generic = list_agents(Request(page_size=10), metadata=auth, timeout=10)

print(
    json.dumps(
        {
            "pages": pages,
            "names": names,
            "statuses": statuses,
            "filtered": [a.name for a in filtered.agents],
            "withoutToken": code_of(lambda: agents.ListAgents(agents_pb2.ListAgentsRequest(page_size=1), timeout=10)),
            "unknownAgent": code_of(lambda: agents.GetAgent(agents_pb2.GetAgentRequest(name="agents/ghost"), metadata=auth, timeout=10)),
            "badPhoneStatus": rich_status(
                lambda: agents.CreateAgent(
                    agents_pb2.CreateAgentRequest(agent_id="py bad", agent=agents_pb2.Agent(display_name="", phone_number="555")),
                    metadata=auth,
                    timeout=10,
                )
            ),
            "badPhone": code_of(
                lambda: agents.CreateAgent(
                    agents_pb2.CreateAgentRequest(agent_id="py_bad", agent=agents_pb2.Agent(display_name="Bad", phone_number="555")),
                    metadata=auth,
                    timeout=10,
                )
            ),
            "created": {"name": created.name, "sipUri": created.sip_uri, "etag": created.etag},
            "reflection": {
                "services": services,
                "files": [f.name for f in files],
                "methods": [m.name for m in pool.FindServiceByName("switchyard.admin.v1.AgentService").methods],
                "listAgents": base64.b64encode(generic.SerializeToString()).decode("ascii"),
                "names": [a.name for a in generic.agents],
            },
        }
    )
)
channel.close()
