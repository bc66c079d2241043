"""Credential hardening: deadlines that hold, expiry times that make sense, no secret in a chain.

Issue 10 findings 3, 8 and 13 and issue 12's bytes credential, each against a
real local server (the emulator, or one that misbehaves on purpose).
"""

from __future__ import annotations

import ast
import json
import logging
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional, Set

import pytest

import tcfunc
from tcfunc import ClientProfile, Credential, HttpProfile, TencentCloudSDKException
from tcfunc._credential import snapshot
from tcfunc._refresh import RefreshingCredential
from tcfunc.credential import (
    CVMRoleCredential,
    OIDCRoleArnCredential,
    ProfileCredential,
    STSAssumeRoleCredential,
)
from tcfunc.testing.emulator import ApiEmulator
from tests._support.chain import assert_no_secret
from tests._support.servers import (
    MisbehavingServer,
    Peer,
    ServedRequest,
    answer,
    dead_port,
    dribbled_body,
    dribbled_head,
    http_head,
    stall,
    timed,
)
from tests.test_credential_support import FakeClock, MetadataServer, role_answer

LONG_ID = "AKIDlongterm"
LONG_KEY = "long-term-key"
ROLE = "qcs::cam::uin/100000000001:roleName/app"
TMP_KEY = "TMPSECRETKEYxyz0123456789"
TMP_TOKEN = "TMPTOKENabc0123456789"
JWT = "eyJSECRETJWTVALUE0123"
ROLES = "/latest/meta-data/cam/security-credentials/"
TCFUNC = Path(tcfunc.__file__).parent


def http_profile(endpoint: str, **kw: Any) -> ClientProfile:
    return ClientProfile(httpProfile=HttpProfile(protocol="http", endpoint=endpoint, **kw))


def sts_answer(expired: Any = None, *, text: Optional[str] = None) -> bytes:
    """An AssumeRole answer with a temporary key and token (``text`` for ExpiredTime verbatim)."""
    expired_text = text if text is not None else json.dumps(expired)
    credentials = (
        f'{{"Token": "{TMP_TOKEN}", "TmpSecretId": "AKIDtmp", "TmpSecretKey": "{TMP_KEY}"}}'
    )
    return (
        f'{{"Response": {{"Credentials": {credentials}, "ExpiredTime": {expired_text}, '
        '"Expiration": "2030-01-01T00:00:00Z", "RequestId": "req-sts"}}'
    ).encode()


def assume_role(server: MisbehavingServer, **kw: Any) -> STSAssumeRoleCredential:
    return STSAssumeRoleCredential(
        LONG_ID, LONG_KEY, ROLE, "s1", profile=http_profile(server.endpoint), **kw
    )


# ------------------------------------------------------------ structure


def _type_checking(node: ast.AST) -> bool:
    test = getattr(node, "test", None)
    return isinstance(node, ast.If) and (
        (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING")
        or (isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")
    )


def _nodes(tree: ast.AST) -> Iterator[ast.AST]:
    """Every node of ``tree`` except what sits under ``if TYPE_CHECKING:`` (never run)."""
    todo = [tree]
    while todo:
        node = todo.pop()
        yield node
        if _type_checking(node):
            todo.extend(getattr(node, "orelse", []))
            continue
        todo.extend(ast.iter_child_nodes(node))


def _imports(path: Path, module: str) -> Set[str]:
    """Every tcfunc module ``path`` imports, at module level or inside functions."""
    package = module if path.name == "__init__.py" else module.rsplit(".", 1)[0]
    found: Set[str] = set()
    for node in _nodes(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.startswith("tcfunc"))
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if target.startswith("tcfunc"):
                found.add(target)
                found.update(f"{target}.{a.name}" for a in node.names)
        elif isinstance(node, ast.Call) and node.args:
            # import_module("tcfunc.x") counts too.
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            arg = node.args[0]
            if name == "import_module" and isinstance(arg, ast.Constant):
                found.add(str(arg.value))
    # The package root only re-exports lazily; importing a sibling through it
    # ("from . import signing") is an edge to the sibling, not to the root.
    found.discard("tcfunc")
    return found


def _graph() -> Dict[str, Set[str]]:
    modules: Dict[str, Path] = {}
    for path in TCFUNC.rglob("*.py"):
        parts = path.relative_to(TCFUNC.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        modules[name] = path
    modules.pop("tcfunc")
    return {name: _imports(path, name) & set(modules) - {name} for name, path in modules.items()}


MINE = {
    "tcfunc._credential",
    "tcfunc.credential",
    "tcfunc._refresh",
    *(
        f"tcfunc._providers.{p.stem}"
        for p in (TCFUNC / "_providers").glob("*.py")
        if p.stem != "__init__"
    ),
}


def test_no_import_cycle_goes_through_the_credential_modules() -> None:
    """No cycle among tcfunc modules passes through the credential value or a provider,
    counting imports inside functions (the providers no longer import the client)."""
    graph = _graph()
    for start in sorted(MINE):
        # Modules reachable from start; a cycle is start reachable from itself.
        seen: Set[str] = set()
        todo: List[str] = sorted(graph.get(start, ()))
        while todo:
            name = todo.pop()
            if name in seen:
                continue
            seen.add(name)
            todo.extend(graph.get(name, ()))
        assert start not in seen, f"{start} is imported back by what it imports"
    for provider in MINE:
        for forbidden in ("tcfunc.client", "tcfunc.aio", "tcfunc._flow"):
            assert forbidden not in graph.get(provider, set()), (provider, forbidden)


def _loaded_after(statement: str) -> List[str]:
    code = f"import sys\n{statement}\nprint(' '.join(sorted(sys.modules)))"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    return out.stdout.split()


def test_the_credential_leaf_loads_no_other_tcfunc_module_and_no_io() -> None:
    """import tcfunc._credential loads only the error type, the validators and the values'
    shared repr/eq of tcfunc, and none of urllib3, socket, ssl, http.client, logging or asyncio."""
    loaded = _loaded_after("import tcfunc._credential")
    ours = {m for m in loaded if m.startswith("tcfunc")}
    assert ours == {
        "tcfunc",
        "tcfunc._version",
        "tcfunc.errors",
        "tcfunc._validate",
        "tcfunc._value",
        "tcfunc._credential",
    }
    for name in ("urllib3", "socket", "ssl", "http.client", "logging", "asyncio"):
        assert name not in loaded


def test_request_building_loads_no_provider() -> None:
    """import tcfunc.request takes Credential from the leaf: no provider, no client."""
    loaded = _loaded_after("import tcfunc.request")
    assert "tcfunc._credential" in loaded
    for name in loaded:
        assert not name.startswith(("tcfunc._providers", "tcfunc.credential", "tcfunc.client"))


def test_public_import_paths_keep_working() -> None:
    """The names live in new modules; every old import path gives the same objects."""
    from tcfunc import credential
    from tcfunc.credential import (
        DEFAULT_METADATA_ENDPOINT,
        CredentialProvider,
        DefaultCredentialProvider,
        DefaultTkeOIDCRoleArnProvider,
        EnvironmentVariableCredential,
    )

    assert credential.Credential is tcfunc.Credential is Credential
    assert credential.STSAssumeRoleCredential is tcfunc.STSAssumeRoleCredential
    assert credential.RefreshingCredential is RefreshingCredential
    assert isinstance(Credential("AKID", "k"), CredentialProvider)
    assert DEFAULT_METADATA_ENDPOINT.startswith("http://")
    for cls in (DefaultCredentialProvider, DefaultTkeOIDCRoleArnProvider):
        assert callable(cls)
    assert EnvironmentVariableCredential().get_credential() is None
    for name in credential.__all__:
        assert getattr(credential, name) is not None


# ------------------------------------------------------------ the value


@pytest.mark.parametrize(
    ("args", "what"),
    [
        ((b"AKID", b"k"), "secret id must be a str, got bytes"),
        (("AKID", b"k"), "secret key must be a str, got bytes"),
        (("AKID", "k", b"tok"), "token must be a str or None, got bytes"),
        ((7, "k"), "secret id must be a str, got int"),
    ],
)
def test_bytes_are_refused_with_a_message_that_says_str(args: Any, what: str) -> None:
    """Credential(b"AKID", b"k") says the parts must be str (not "none or empty");
    bytes are refused rather than decoded, so what is signed is what was written."""
    with pytest.raises(TencentCloudSDKException) as info:
        Credential(*args)
    assert info.value.code == "InvalidCredential"
    assert info.value.message == what


@pytest.mark.parametrize("value", [float("nan"), float("inf"), -float("inf"), True, "1700000000"])
def test_expires_at_must_be_a_finite_number(value: Any) -> None:
    """A Credential cannot carry an expiry that would keep it from ever refreshing."""
    with pytest.raises(TencentCloudSDKException) as info:
        Credential("AKID", "k", expires_at=value)
    assert info.value.code == "InvalidCredential"


# ------------------------------------------------------------ snapshot()


class Raising:
    def __init__(self, exc: BaseException) -> None:
        self.exc = exc

    def get_credential(self) -> Credential:
        raise self.exc


def _sdk_error_with_secret_context() -> TencentCloudSDKException:
    try:
        try:
            raise ValueError(f"secret_key = {LONG_KEY}")
        except ValueError:
            raise TencentCloudSDKException("ClientError.Custom", "it broke") from None
    except TencentCloudSDKException as exc:
        return exc


def test_snapshot_reads_a_credential_a_provider_or_nothing() -> None:
    """A Credential is itself; None is fine only unsigned; a provider is asked once."""
    cred = Credential("AKID", "k")
    assert snapshot(cred, skip_sign=False) is cred
    assert snapshot(None, skip_sign=True) is None
    with pytest.raises(TencentCloudSDKException) as info:
        snapshot(None, skip_sign=False)
    assert info.value.code == "InvalidCredential"
    assert snapshot(RefreshingCredential(lambda: cred), skip_sign=False) is cred
    with pytest.raises(TencentCloudSDKException) as info:
        snapshot(object(), skip_sign=False)  # type: ignore[arg-type]
    assert info.value.code == "ClientError"


def test_snapshot_of_a_failing_provider_keeps_only_the_type() -> None:
    """A provider's own exception becomes InvalidCredential naming its type; the original
    (with a secret in its message) is neither in __cause__ nor in __context__."""
    with pytest.raises(TencentCloudSDKException) as info:
        snapshot(Raising(ValueError(f"token={TMP_TOKEN}")), skip_sign=False)
    assert info.value.code == "InvalidCredential"
    assert "ValueError" in str(info.value.message)
    assert info.value.__cause__ is None
    assert info.value.__context__ is None
    assert_no_secret(info.value, [TMP_TOKEN])


def test_snapshot_cuts_the_chain_of_a_provider_sdk_error() -> None:
    """An SDK error from a provider keeps its code but loses a context holding a secret."""
    with pytest.raises(TencentCloudSDKException) as info:
        snapshot(Raising(_sdk_error_with_secret_context()), skip_sign=False)
    assert info.value.code == "ClientError.Custom"
    assert_no_secret(info.value, [LONG_KEY])


def test_snapshot_refuses_a_provider_that_returns_something_else() -> None:
    """None (or anything but a Credential) from a provider is InvalidCredential."""

    class Empty:
        def get_credential(self) -> None:
            return None

    with pytest.raises(TencentCloudSDKException) as info:
        snapshot(Empty(), skip_sign=False)
    assert info.value.code == "InvalidCredential"


# ------------------------------------------------------------ refresh errors


def test_refresh_error_of_another_type_is_not_chained() -> None:
    """as_sdk_error keeps only the type name: the provider's message is nowhere in the chain."""
    provider = RefreshingCredential(Raising(KeyError(f"token={TMP_TOKEN}")).get_credential)
    with pytest.raises(TencentCloudSDKException) as info:
        provider.get_credential()
    assert info.value.code == "ClientError.CredentialRefreshError"
    assert_no_secret(info.value, [TMP_TOKEN])


def test_refresh_sdk_error_loses_a_context_with_a_secret() -> None:
    """An SDK error from a fetch is raised without the context it was raised in."""
    provider = RefreshingCredential(Raising(_sdk_error_with_secret_context()).get_credential)
    with pytest.raises(TencentCloudSDKException) as info:
        provider.get_credential()
    assert info.value.code == "ClientError.Custom"
    assert_no_secret(info.value, [LONG_KEY])


# ------------------------------------------------------------ files


def test_configparser_error_quoting_the_key_line_is_not_chained(tmp_path: Path) -> None:
    """A broken INI file whose bad line is the secret_key line: CredentialFileError, and the
    configparser error that quotes the line is not in the chain or the traceback."""
    path = tmp_path / "credentials"
    path.write_text(f"secret_key = {LONG_KEY}\n[default]\n", encoding="utf-8")
    with pytest.raises(TencentCloudSDKException) as info:
        ProfileCredential(str(path)).get_credential()
    assert info.value.code == "ClientError.CredentialFileError"
    assert_no_secret(info.value, [LONG_KEY])


def test_undecodable_file_is_not_chained(tmp_path: Path) -> None:
    """A UnicodeDecodeError holds the raw bytes (the key among them): not chained."""
    path = tmp_path / "credentials"
    path.write_bytes(f"[default]\nsecret_key = {LONG_KEY}\n".encode() + b"\xff\xfe")
    with pytest.raises(TencentCloudSDKException) as info:
        ProfileCredential(str(path)).get_credential()
    assert "UTF-8" in str(info.value.message)
    assert_no_secret(info.value, [LONG_KEY])


# ------------------------------------------------------------ STS: deadlines


def test_sts_refresh_default_timeout_is_short_and_settable() -> None:
    """Without a profile a refresh may take 10 s (not HttpProfile's 60); a profile's
    reqTimeout applies when given; timeout= overrides both and is validated."""
    assert STSAssumeRoleCredential(LONG_ID, LONG_KEY, ROLE, "s1").timeout == 10
    slow = ClientProfile(httpProfile=HttpProfile(reqTimeout=30))
    assert STSAssumeRoleCredential(LONG_ID, LONG_KEY, ROLE, "s1", profile=slow).timeout == 30
    quick = STSAssumeRoleCredential(LONG_ID, LONG_KEY, ROLE, "s1", profile=slow, timeout=2.5)
    assert quick.timeout == 2.5
    bad: Any
    for bad in (0, -1, float("nan"), "5", True):
        with pytest.raises(TencentCloudSDKException):
            STSAssumeRoleCredential(LONG_ID, LONG_KEY, ROLE, "s1", timeout=bad)


def test_stalled_sts_refresh_is_bounded_by_the_provider_timeout() -> None:
    """An STS server that reads the request and never answers: the refresh fails after
    about timeout=0.6 s, not the profile's 60 s."""
    with MisbehavingServer(stall()) as server:
        provider = assume_role(server, timeout=0.6)
        elapsed, error = timed(provider.get_credential)
    assert isinstance(error, TencentCloudSDKException)
    assert error.code == "ClientNetworkError"
    assert 0.5 < elapsed < 1.5


def test_refresh_inside_a_client_call_is_bounded_by_the_provider_timeout() -> None:
    """A client call with reqTimeout=1 whose provider's STS stalls: the call fails within the
    provider's timeout (0.6 s) plus a little, not STS's default profile timeout."""
    from tcfunc.client import CommonClient

    with MisbehavingServer(stall()) as server:
        provider = assume_role(server, timeout=0.6)
        client = CommonClient(
            "cvm",
            "2017-03-12",
            provider,
            "ap-guangzhou",
            http_profile(server.endpoint, reqTimeout=1),
        )
        elapsed, error = timed(lambda: client.call_json("DescribeZones", {}))
    assert isinstance(error, TencentCloudSDKException)
    assert elapsed < 2.0


@pytest.mark.parametrize(
    "handler",
    [
        dribbled_head(sts_answer(2_000_000_000), every=0.15),
        dribbled_body(sts_answer(2_000_000_000), every=0.15),
    ],
    ids=["headers", "body"],
)
def test_dribbling_sts_server_cannot_stretch_a_refresh(handler: Any) -> None:
    """Headers or body sent a byte every 0.15 s: the refresh still ends by its 1 s timeout
    (the transport's reqTimeout is a deadline for the whole attempt)."""
    with MisbehavingServer(handler) as server:
        provider = assume_role(server, timeout=1.0)
        elapsed, error = timed(provider.get_credential)
    assert isinstance(error, TencentCloudSDKException)
    assert elapsed < 2.0


def test_signature_expire_is_retried_once_with_the_server_clock() -> None:
    """STS answering AuthFailure.SignatureExpire (our clock 20 minutes off): one more
    AssumeRole signed with the server's Date, and the fetch succeeds."""
    with ApiEmulator({LONG_ID: LONG_KEY}, clock=lambda: time.time() + 1200) as emu:
        emu.enable_sts()
        provider = STSAssumeRoleCredential(
            LONG_ID, LONG_KEY, ROLE, "s1", profile=http_profile(emu.endpoint)
        )
        cred = provider.get_credential()
        assert cred.token
        assert [r.action for r in emu.requests] == ["AssumeRole", "AssumeRole"]


# ------------------------------------------------------------ STS: answers


@pytest.mark.parametrize(
    "text",
    [
        "NaN",
        "Infinity",
        "-Infinity",
        "1e400",
        "true",
        '"soon"',
        '"2030-01-01"',
        "1",  # 1970
        "-5",
        "99999999999",  # the year 5138
        str(10**400),
        "null",
        "{}",
    ],
)
def test_sts_expiry_that_is_not_a_sane_time_is_refused(text: str) -> None:
    """ExpiredTime of NaN, infinities, 1e400, bools, non-numeric strings, or times before
    2000 / far in the future: ClientError.STSError, and no credential that never refreshes."""
    with (
        MisbehavingServer(answer(sts_answer(text=text))) as server,
        pytest.raises(TencentCloudSDKException) as info,
    ):
        assume_role(server).get_credential()
    assert info.value.code == "ClientError.STSError"
    assert "ExpiredTime" in str(info.value.message)
    assert_no_secret(info.value, [TMP_KEY, TMP_TOKEN, LONG_KEY])


def test_sts_expiry_as_digits_in_a_string_is_accepted() -> None:
    """ExpiredTime "<digits>" is read as Unix seconds (some gateways quote numbers)."""
    expiry = int(time.time()) + 3600
    with MisbehavingServer(answer(sts_answer(text=f'"{expiry}"'))) as server:
        cred = assume_role(server).get_credential()
    assert cred.expires_at == expiry


@pytest.mark.parametrize(
    "body",
    [
        sts_answer(2_000_000_000)[:150],  # cut short inside the Credentials
        sts_answer(2_000_000_000) + b" trailing",  # valid JSON and then more bytes
    ],
    ids=["cut-short", "trailing-bytes"],
)
def test_unparseable_sts_answer_shows_no_temporary_secret(body: bytes) -> None:
    """An STS answer that does not parse: ParseJsonError whose message, chain, traceback and
    pickle show neither the TmpSecretKey nor the Token it quotes."""
    with MisbehavingServer(answer(body)) as server, pytest.raises(TencentCloudSDKException) as info:
        assume_role(server).get_credential()
    assert info.value.code == "ClientError.ParseJsonError"
    assert_no_secret(info.value, [TMP_KEY, TMP_TOKEN, LONG_KEY])


def test_sts_error_page_echoing_the_secrets_shows_none() -> None:
    """A 502 whose body is the STS answer: ServerNetworkError without the secrets."""
    with (
        MisbehavingServer(answer(sts_answer(2_000_000_000), status=502)) as server,
        pytest.raises(TencentCloudSDKException) as info,
    ):
        assume_role(server).get_credential()
    assert info.value.code == "ServerNetworkError"
    assert_no_secret(info.value, [TMP_KEY, TMP_TOKEN])


def test_failed_advisory_refresh_logs_no_temporary_secret(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """An advisory refresh whose STS answer is cut short is logged at WARNING; the line
    shows the failure and neither the new TmpSecretKey nor its Token."""
    clock = FakeClock(time.time())
    good = sts_answer(int(clock.now) + 7200)
    answers = [good, good[:160]]

    def handler(_request: ServedRequest, peer: Peer) -> bool:
        body = answers.pop(0)
        peer.send(http_head(length=len(body)) + body)
        return True

    with MisbehavingServer(handler) as server:
        provider = assume_role(server, clock=clock)
        first = provider.get_credential()
        clock.advance(7200 - 600)
        with caplog.at_level(logging.WARNING, logger="tcfunc.credential"):
            assert provider.get_credential() is first
    assert "advisory refresh" in caplog.text
    assert "ParseJsonError" in caplog.text
    assert TMP_KEY not in caplog.text
    assert TMP_TOKEN not in caplog.text


# ------------------------------------------------------------ OIDC


@pytest.mark.parametrize("fault", ["closed", "reset", "stall"])
def test_oidc_get_failure_keeps_the_web_identity_token_out_of_the_chain(fault: str) -> None:
    """OIDC with reqMethod=GET puts WebIdentityToken in the URL; a network failure's error
    (and its chain, traceback and pickle) never shows it."""

    def provider(endpoint: str) -> OIDCRoleArnCredential:
        profile = ClientProfile(
            httpProfile=HttpProfile(protocol="http", endpoint=endpoint, reqMethod="GET")
        )
        return OIDCRoleArnCredential(
            "ap-shanghai", "idp", JWT, ROLE, "s1", profile=profile, timeout=0.5
        )

    if fault == "closed":
        with pytest.raises(TencentCloudSDKException) as info:
            provider(f"127.0.0.1:{dead_port()}").get_credential()
    else:

        def reset(_request: ServedRequest, peer: Peer) -> None:
            peer.reset()

        with (
            MisbehavingServer(reset if fault == "reset" else stall()) as server,
            pytest.raises(TencentCloudSDKException) as info,
        ):
            provider(server.endpoint).get_credential()
    assert info.value.code == "ClientNetworkError"
    assert_no_secret(info.value, [JWT])


def test_oidc_get_api_error_keeps_the_token_out() -> None:
    """An STS error answer to an OIDC GET keeps its code and shows no token."""
    error = {"Code": "InvalidParameter.WebIdentityTokenError", "Message": "bad"}
    body = json.dumps({"Response": {"Error": error, "RequestId": "r"}}).encode()
    with MisbehavingServer(answer(body)) as server:
        profile = ClientProfile(
            httpProfile=HttpProfile(protocol="http", endpoint=server.endpoint, reqMethod="GET")
        )
        provider = OIDCRoleArnCredential("ap-shanghai", "idp", JWT, ROLE, "s1", profile=profile)
        with pytest.raises(TencentCloudSDKException) as info:
            provider.get_credential()
        assert JWT in server.requests[0].target  # it really was in the URL
    assert info.value.code == "InvalidParameter.WebIdentityTokenError"
    assert_no_secret(info.value, [JWT])


# ------------------------------------------------------------ CVM


@pytest.fixture
def metadata() -> Iterator[MetadataServer]:
    with MetadataServer() as srv:
        yield srv


@pytest.mark.parametrize(
    "text",
    ["NaN", "Infinity", "-Infinity", "1e400", "true", '"later"', "1", str(10**400), "[]"],
)
def test_metadata_expiry_that_is_not_a_sane_time_is_refused(
    metadata: MetadataServer, text: str
) -> None:
    """The same rule for the metadata service: ClientError.MetadataError."""
    body = json.dumps(role_answer()).replace("1700007200", text)
    metadata.role("r", (200, body))
    cvm = CVMRoleCredential(metadata_endpoint=metadata.endpoint, clock=FakeClock())
    with pytest.raises(TencentCloudSDKException) as info:
        cvm.get_credential()
    assert info.value.code == "ClientError.MetadataError"
    assert "ExpiredTime" in str(info.value.message)


def _metadata_handler(head_every: float = 0.0, body_every: float = 0.0) -> Any:
    """Role list and credentials, with the head or body of each answer dribbled."""
    creds = json.dumps(role_answer(expired=2_000_000_000)).encode()

    def handle(request: ServedRequest, peer: Peer) -> bool:
        body = b"r" if request.target == ROLES else creds
        head = http_head(length=len(body), content_type="text/plain")
        if head_every:
            peer.dribble(head, head_every)
        else:
            peer.send(head)
        if body_every:
            peer.dribble(body, body_every)
        else:
            peer.send(body)
        return True

    return handle


@pytest.mark.parametrize(
    ("head_every", "body_every"), [(0.1, 0.0), (0.0, 0.1)], ids=["headers", "body"]
)
def test_dribbling_metadata_server_cannot_stretch_the_deadline(
    head_every: float, body_every: float
) -> None:
    """A metadata server sending one byte per 0.1 s (headers, or body): the fetch fails at
    its 1 s deadline, where it took 20 s before."""
    with MisbehavingServer(_metadata_handler(head_every, body_every)) as server:
        cvm = CVMRoleCredential(metadata_endpoint=server.url + "latest/meta-data/", timeout=1.0)
        elapsed, error = timed(cvm.get_credential)
    assert isinstance(error, TencentCloudSDKException)
    assert error.code == "ClientError.MetadataError"
    assert "timed out" in str(error.message)
    assert elapsed < 1.5


def test_role_discovery_and_credentials_share_one_deadline(metadata: MetadataServer) -> None:
    """Each answer takes 0.4 s; with timeout=0.6 the two requests together overrun it and
    the fetch fails by then (each request had its own deadline before)."""
    metadata.role("r", (200, role_answer()))
    metadata.delay = 0.4
    cvm = CVMRoleCredential(metadata_endpoint=metadata.endpoint, timeout=0.6)
    elapsed, error = timed(cvm.get_credential)
    assert isinstance(error, TencentCloudSDKException)
    assert elapsed < 0.9


def test_slow_name_resolution_is_inside_the_deadline(monkeypatch: pytest.MonkeyPatch) -> None:
    """getaddrinfo has no timeout; a resolver that hangs for 5 s costs the fetch at most its
    connect timeout (0.3 s): the lookup runs in a thread that is not waited for."""
    real = socket.getaddrinfo

    def slow(host: Any, *args: Any, **kw: Any) -> Any:
        # A numeric-only lookup never asks a resolver; anything else hangs.
        if host == "metadata.invalid" and not kw.get("flags", 0) & socket.AI_NUMERICHOST:
            time.sleep(5)
        return real(host, *args, **kw)

    monkeypatch.setattr(socket, "getaddrinfo", slow)
    cvm = CVMRoleCredential(
        metadata_endpoint="http://metadata.invalid/latest/meta-data/", connect_timeout=0.3
    )
    elapsed, error = timed(cvm.get_credential)
    assert isinstance(error, TencentCloudSDKException)
    assert error.code == "ClientError.MetadataError"
    assert elapsed < 0.8


# ------------------------------------------------------------ transports


class RecordingTransport:
    """A user transport (the Transport protocol): answers every request with ``body``."""

    def __init__(self, body: bytes) -> None:
        self.body = body
        self.sent: List[Any] = []

    def send(self, request: Any, timeout: float, *, stream: bool = False) -> Any:
        from tcfunc.transport import HttpResponse

        self.sent.append((request, timeout))
        return HttpResponse(200, {"Content-Type": "application/json"}, self.body)


def test_sts_provider_sends_through_an_injected_transport() -> None:
    """transport= replaces the urllib3 one: it gets the signed AssumeRole and the provider's
    timeout, and its answer becomes the credential."""
    transport = RecordingTransport(sts_answer(int(time.time()) + 3600))
    provider = STSAssumeRoleCredential(
        LONG_ID, LONG_KEY, ROLE, "s1", transport=transport, timeout=3
    )
    cred = provider.get_credential()
    assert cred.secret_key == TMP_KEY
    ((request, timeout),) = transport.sent
    assert request.url == "https://sts.tencentcloudapi.com/"
    assert request.headers["X-TC-Action"] == "AssumeRole"
    assert LONG_ID in request.headers["Authorization"]
    assert 2.5 < timeout <= 3


@pytest.mark.parametrize("name", ["s", "x" * 129, "has space", "名字", "a/b"])
def test_role_session_name_follows_the_sts_rule_at_construction(name: str) -> None:
    """RoleSessionName is 2 to 128 of letters, digits and =,.@_- (what STS accepts): anything
    else is refused when the provider is built, not by STS at the first refresh."""
    for build in (
        lambda: STSAssumeRoleCredential(LONG_ID, LONG_KEY, ROLE, name),
        lambda: OIDCRoleArnCredential("ap-shanghai", "idp", JWT, ROLE, name),
    ):
        with pytest.raises(TencentCloudSDKException) as info:
            build()
        assert info.value.code == "ClientError.CredentialConfigError"
        assert "role_session_name" in str(info.value.message)


def test_a_transport_without_send_is_refused_at_construction() -> None:
    """A transport= that cannot send is a config error when the provider is built."""
    with pytest.raises(TencentCloudSDKException) as info:
        STSAssumeRoleCredential(LONG_ID, LONG_KEY, ROLE, "s1", transport=object())
    assert info.value.code == "ClientError.CredentialConfigError"


def test_close_gives_back_the_shared_transport() -> None:
    """The default transport is the shared urllib3 one; close() releases it (twice is fine)
    and a later refresh takes one again."""
    clock = FakeClock(time.time())
    with ApiEmulator({LONG_ID: LONG_KEY}) as emu:
        emu.enable_sts()
        provider = STSAssumeRoleCredential(
            LONG_ID, LONG_KEY, ROLE, "s1", profile=http_profile(emu.endpoint), clock=clock
        )
        first = provider.get_credential()
        provider.close()
        provider.close()
        clock.advance(7200 - 600)
        assert provider.get_credential().secret_id != first.secret_id
        assert [r.action for r in emu.requests] == ["AssumeRole", "AssumeRole"]


def test_debug_lines_of_a_cut_short_sts_answer_show_no_secret(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """With DEBUG on tcfunc, the request (long-term key signed) and a cut-short AssumeRole
    answer are logged, and neither the temporary key, the token nor the long-term key shows."""
    with MisbehavingServer(answer(sts_answer(2_000_000_000)[:170])) as server:
        provider = assume_role(server)
        with (
            caplog.at_level(logging.DEBUG, logger="tcfunc"),
            pytest.raises(TencentCloudSDKException),
        ):
            provider.get_credential()
    assert "STS request" in caplog.text
    assert "STS response" in caplog.text
    for secret in (TMP_KEY, TMP_TOKEN, LONG_KEY):
        assert secret not in caplog.text
