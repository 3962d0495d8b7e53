"""Rasa's REST and socket.io channels, made fit for a public page.

Named in credentials.yml (Rasa's extension point for channels); they keep
Rasa's names, URLs and events, so the widget, the tests and scripts talk to
them as before. What they add:

- Limits (addons/limits.py): request bodies over MAX_REQUEST_BYTES are refused
  before they are read, longer messages than MAX_MESSAGE_CHARS and clients
  over their rate get a plain answer and nothing is processed.
- Sessions only the server issues (socket.io): a session id is a random nonce
  with an HMAC of SESSION_SECRET; a client asking to continue an id the server
  did not sign gets a new conversation, and every message goes to the session
  confirmed on that connection, whatever id the client writes into it.
- A conversation of more than MAX_TURNS_PER_SESSION messages starts a new
  session (Rasa's own `/session_start`), so no turn grows without bound.
- REST needs a `sender`: without one Rasa would put everybody into one shared
  "default" conversation. REST is for the school's own systems and tests; the
  shipped nginx keeps it private.
- No message text in logs (addons/log_privacy.py).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import os
import secrets
from pathlib import Path
from typing import Any, Awaitable, Callable, Dict, Optional, Text

from rasa.core.channels.channel import CollectingOutputChannel, InputChannel, UserMessage
from rasa.core.channels.rest import RestInput
from rasa.core.channels.socketio import SocketIOInput, SocketIOOutput
from sanic import Blueprint, response
from sanic.exceptions import PayloadTooLarge
from sanic.request import Request
from sanic.response import HTTPResponse

from actions.constants import LANGUAGE_KEY
from actions.language import page_language
from addons import log_privacy
from addons.limits import FRESH_START, TOO_FAST, Limits, shared_limits

logger = logging.getLogger(__name__)
log_privacy.install()

SESSION_SECRET_ENV = "SESSION_SECRET"
SESSION_SECRET_FILE_ENV = "SESSION_SECRET_FILE"
NONCE_BYTES = 16
SIGNATURE_CHARS = 32


def client_address(request: Optional[Request]) -> str:
    """The student's address: from X-Forwarded-For only when Sanic is told to trust a proxy."""
    if request is None:
        return "unknown"
    return request.remote_addr or request.ip or "unknown"


def guarded(
    on_new_message: Callable[[UserMessage], Awaitable[Any]], limits: Limits
) -> Callable[[UserMessage], Awaitable[Any]]:
    """`on_new_message`, starting a new session first when the conversation has run too long."""

    async def handle(message: UserMessage) -> Any:
        if limits.turns.start_anew(message.sender_id):
            await on_new_message(
                UserMessage(
                    "/session_start", CollectingOutputChannel(), message.sender_id, input_channel=message.input_channel
                )
            )
            language = page_language((message.metadata or {}).get(LANGUAGE_KEY))
            await message.output_channel.send_text_message(message.sender_id, limits.say(FRESH_START, language))
        return await on_new_message(message)

    return handle


def _limit_request_bodies(blueprint: Blueprint, limits: Limits) -> None:
    """Sanic's own default is 100 MB; the limit applies to every route of the server."""

    @blueprint.listener("before_server_start")
    async def set_limit(app: Any, _loop: Any) -> None:
        if app.config.REQUEST_MAX_SIZE > limits.max_request_bytes:
            app.config.REQUEST_MAX_SIZE = limits.max_request_bytes

        def too_large(request: Request, _error: Exception) -> HTTPResponse:
            return response.json([{"recipient_id": None, "text": limits.too_long()}], status=413)

        app.error_handler.add(PayloadTooLarge, too_large)


class GuardedRestInput(RestInput):
    """POST /webhooks/rest/webhook as in Rasa, with a required sender, limits and private logs."""

    def __init__(self, limits: Optional[Limits] = None) -> None:
        self.limits = limits or shared_limits()

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[Text, Any]]) -> InputChannel:
        return cls()

    def get_metadata(self, request: Request) -> Optional[Dict[Text, Any]]:
        """The body's `metadata` object (e.g. {"language": "es"}, the page's language), as the widget's customData."""
        body = request.json
        return _metadata(body.get("metadata")) if isinstance(body, dict) else None

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        blueprint = super().blueprint(guarded(on_new_message, self.limits))
        _limit_request_bodies(blueprint, self.limits)

        @blueprint.middleware("request")
        async def check(request: Request) -> Optional[HTTPResponse]:
            if request.method != "POST" or not request.path.endswith("/webhook"):
                return None
            body = request.json
            if not isinstance(body, dict):
                return response.json(
                    {"error": "The body must be a JSON object with 'sender' and 'message'."}, status=400
                )
            sender, text = body.get("sender"), body.get("message")
            if not isinstance(sender, str) or not sender.strip() or len(sender) > 128:
                return response.json(
                    {"error": "Every message needs a 'sender': the id of its conversation (1 to 128 characters)."},
                    status=400,
                )
            log_privacy.handling(text)
            refusal = self.limits.refusal(text, sender, client_address(request))
            if refusal is not None:
                status = 429 if refusal == TOO_FAST else 200
                language = page_language((self.get_metadata(request) or {}).get(LANGUAGE_KEY))
                return response.json(
                    [{"recipient_id": sender, "text": self.limits.say(refusal, language)}], status=status
                )
            return None

        return blueprint


class SessionSigner:
    """Issues session ids and recognises the ones it issued (with the same secret)."""

    def __init__(self, secret: bytes) -> None:
        self._secret = secret

    @classmethod
    def from_env(cls) -> "SessionSigner":
        secret = os.environ.get(SESSION_SECRET_ENV, "")
        path = os.environ.get(SESSION_SECRET_FILE_ENV, "")
        if not secret and path:
            secret = Path(path).read_text().strip()
        if not secret:
            logger.warning(
                "No %s (or %s): session ids are signed with a random key, so conversations in the widget "
                "start anew when this server restarts and several instances cannot share them.",
                SESSION_SECRET_ENV,
                SESSION_SECRET_FILE_ENV,
            )
            return cls(secrets.token_bytes(32))
        if len(secret) < 32:
            raise ValueError(f"{SESSION_SECRET_ENV} must be at least 32 characters long")
        return cls(secret.encode())

    def _sign(self, nonce: str) -> str:
        return hmac.new(self._secret, nonce.encode(), hashlib.sha256).hexdigest()[:SIGNATURE_CHARS]

    def issue(self) -> str:
        nonce = secrets.token_hex(NONCE_BYTES)
        return nonce + self._sign(nonce)

    def issued(self, session_id: Any) -> bool:
        if not isinstance(session_id, str) or len(session_id) != NONCE_BYTES * 2 + SIGNATURE_CHARS:
            return False
        nonce, signature = session_id[: NONCE_BYTES * 2], session_id[NONCE_BYTES * 2 :]
        return hmac.compare_digest(signature, self._sign(nonce))


class SignedSocketIOInput(SocketIOInput):
    """Rasa's socket.io channel with sessions only the server issues, limits and private logs."""

    def __init__(
        self, *args: Any, limits: Optional[Limits] = None, signer: Optional[SessionSigner] = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.limits = limits or shared_limits()
        self.signer = signer or SessionSigner.from_env()

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        on_new_message = guarded(on_new_message, self.limits)
        blueprint = super().blueprint(on_new_message)
        _limit_request_bodies(blueprint, self.limits)
        sio = self.sio
        assert sio is not None
        sio.eio.max_http_buffer_size = self.limits.max_request_bytes

        async def confirm(sid: Text, requested: Any) -> str:
            session_id = requested if self.signer.issued(requested) else self.signer.issue()
            previous = (await sio.get_session(sid, namespace=self.namespace)).get("session_id")
            if previous and previous != session_id:
                sio.leave_room(sid, previous, namespace=self.namespace)
            await sio.save_session(sid, {"session_id": session_id}, namespace=self.namespace)
            sio.enter_room(sid, session_id, namespace=self.namespace)
            await sio.emit("session_confirm", session_id, room=sid, namespace=self.namespace)
            return session_id

        async def session_request(sid: Text, data: Any = None) -> None:
            await confirm(sid, data.get("session_id") if isinstance(data, dict) else None)

        async def handle_message(sid: Text, data: Any = None) -> None:
            data = data if isinstance(data, dict) else {}
            session_id = (await sio.get_session(sid, namespace=self.namespace)).get("session_id")
            if not session_id:  # no session_request first: start one rather than stay silent
                session_id = await confirm(sid, None)
            text = data.get("message")
            log_privacy.handling(text)
            output = SocketIOOutput(sio, self.bot_message_evt)
            environ = sio.get_environ(sid, namespace=self.namespace) or {}
            refusal = self.limits.refusal(text, session_id, client_address(environ.get("sanic.request")))
            metadata = _metadata(data.get(self.metadata_key))
            if refusal is not None:
                language = page_language((metadata or {}).get(LANGUAGE_KEY))
                await output.send_text_message(session_id, self.limits.say(refusal, language))
                return
            await on_new_message(UserMessage(text, output, session_id, input_channel=self.name(), metadata=metadata))

        sio.on("session_request", session_request, namespace=self.namespace)
        sio.on(self.user_message_evt, handle_message, namespace=self.namespace)
        return blueprint


def _metadata(value: Any) -> Optional[Dict[Text, Any]]:
    """The widget's customData: a dict, or a JSON text of one; anything else is dropped."""
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return None
    return value if isinstance(value, dict) else None
