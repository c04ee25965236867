"""The service's configuration, read from SWA_* environment variables: the shared settings
(kernel/settings.py) and what only the service needs (Rasa, the database, channels, the desk).

One settings object so that the service, the launcher, tests and benchmarks agree on the same
defaults: the Rasa address and the SQLite file under var/.
"""

from functools import lru_cache
from pathlib import Path

from pydantic import SecretStr

from kernel.settings import VAR_DIR, SharedSettings
from kernel.skills import Skill


class Settings(SharedSettings):
    database_url: str = f"sqlite+aiosqlite:///{VAR_DIR / 'swa.db'}"

    rasa_url: str = "http://127.0.0.1:5005"
    # Several Rasa servers, comma-separated (queue_service/rasa_pool.py); empty: rasa_url alone.
    rasa_urls: str = ""
    # Demo value (allowed in demo mode only): Rasa's HTTP API token.
    rasa_token: SecretStr = SecretStr("swa-demo-rasa-token")
    rasa_timeout_s: float = 10.0
    # The model the Rasa servers run until the knowledge studio first publishes (the stack
    # passes the one it trained); served to them at /internal/rasa/model (publishing/).
    rasa_model_file: Path | None = None
    # Where this instance keeps local copies of published models (SQL has them all).
    published_models_dir: Path = VAR_DIR / "published-models"
    # The publish gate: how much lower top-1 or out-of-scope rejection may be (stack/publish.py).
    publish_max_drop: float = 0.02
    # Admission control (queue_service/admission.py): bot turns in flight to Rasa from this
    # process; the rest wait in line, and one that cannot start within turn_max_wait_s gets
    # the apology. rasa_timeout_s counts from when a turn starts.
    rasa_concurrency: int = 8
    turn_max_wait_s: float = 30.0
    # Fail-fast bound (issue 16) of a SQL call, as redis_timeout_s (kernel/settings.py) is Redis's.
    sql_timeout_s: float = 1.5
    actions_url: str = "http://127.0.0.1:5055"
    # Demo value (allowed in demo mode only): the HS256 secret shared with the host portal, which
    # signs its users' tokens (at least 32 bytes).
    portal_jwt_secret: SecretStr = SecretStr("swa-demo-portal-jwt-secret-not-for-production")
    portal_issuer: str = "swa-demo-portal"
    # The aud a portal token must carry, so that a token the portal signed for another of its
    # services is refused here; empty: aud is not checked (a host portal that cannot add it yet).
    portal_audience: str = "swa"
    # Longest lifetime (exp - iat) of a portal token: a stolen token is good for at most this.
    portal_max_token_ttl_s: int = 3600
    # A card login used for a turn has its card's status re-read from SQL at most this often, so
    # a lock made in SQL alone still ends it (card_admin's lock and revoke end it at once).
    card_status_check_s: float = 30.0
    # Where the chat page finds the card bridge on the user's PC (swa-card-bridge), for 卡介质验证.
    card_bridge_url: str = "http://127.0.0.1:61231"
    # Failed bind-code tries per 10 minutes, all channels and accounts together; past it binding
    # pauses for everyone until the window ends (queue_service/identity/bind_codes.py says why).
    bind_failure_budget: int = 30
    # Sites allowed to embed the chat (webchat/static/embed.js), comma-separated origins such as
    # "https://www.singlewindow.cn": they may frame the page and pass it their users' tokens.
    embed_origins: str = ""

    host: str = "0.0.0.0"
    port: int = 8000

    # Longest user message accepted from any channel, in characters.
    max_message_chars: int = 2000
    # How many past messages a reconnecting web chat client gets back.
    history_limit: int = 200

    # The public web chat socket's limits (integrations/webchat/guard.py); every refusal is a
    # Chinese error frame, and a refused message stays in the page's outbox to be sent again.
    # Open sockets per client address in one service instance: an office behind one NAT address
    # has many users, so generous; a proxy's limit_conn can cap the whole cluster.
    webchat_max_connections_per_ip: int = 50
    # A new socket names its conversation (its first frame) within this many seconds.
    webchat_hello_timeout_s: float = 5.0
    # Per connection, a burst and then a steady rate: user messages (each one a bot turn), typing
    # notices (the page sends one per 2 s at most) and login frames (portal tokens, card
    # challenges and proofs). Well above what a person types or clicks.
    webchat_message_burst: int = 10
    webchat_messages_per_s: float = 1.0
    webchat_typing_burst: int = 10
    webchat_typing_per_s: float = 1.0
    webchat_login_burst: int = 20
    webchat_logins_per_s: float = 0.2
    # Handoffs (per hour) and tickets, 留言 (per day), per conversation and per web chat client
    # address, across all instances (queue_service/handoff/caps.py).
    handoffs_per_conversation: int = 10
    handoffs_per_ip: int = 30
    tickets_per_conversation: int = 5
    tickets_per_ip: int = 20
    # Images in a human chat (queue_service/images/): the largest accepted, in bytes, and how
    # many one conversation may send (user and agent together) per 10 minutes, all instances.
    image_max_bytes: int = 5 * 1024 * 1024
    images_per_conversation: int = 30

    # When agents work (China time); see queue_service/handoff/hours.py for the format.
    service_hours: str = "mon-fri 08:30-17:30"
    holidays: str = ""
    extra_workdays: str = ""

    # An agent console idle this long is logged out.
    staff_session_ttl_s: int = 8 * 3600
    # And however busy, it is logged out this long after its login: a stolen session cookie is
    # not good forever.
    staff_session_max_s: int = 12 * 3600
    # A session's account (active, role, password) is read from SQL at most this often per
    # process; the CLI's passwd, deactivate and role end sessions at once through Redis anyway.
    staff_account_check_s: float = 5.0
    # Console logins check passwords with Argon2id (over 100 ms of CPU each) in this many
    # threads beside the event loop, so that a burst of logins cannot stall the sockets; this
    # many more wait for a thread, and beyond that a login is refused with "try again shortly".
    password_hash_threads: int = 2
    password_hash_queue: int = 16
    # Skills whose waiting users agents pick by hand (comma-separated), e.g. "cross_border".
    manual_skills: str = ""
    # An agent with open chats and no console connected this long: their users are requeued.
    agent_grace_s: int = 60
    # A user waiting this long is offered to leave a message instead.
    max_wait_s: int = 1200
    # How often the handoff round (requeue, long waits, missed dispatches) runs.
    handoff_round_s: float = 5.0
    # Bot outcome statistics (queue_service/outcomes.py, docs/metrics.md): a conversation's
    # session ends after this much silence; the job that closes sessions runs this often.
    session_gap_s: int = 1800
    session_round_s: float = 60.0

    # WeChat Official Account (integrations/wechat). No token: the channel is off (its callback
    # answers 404). An EncodingAESKey turns on safe mode (AES); the previous key is still accepted
    # for decrypting while the key is being rotated.
    wechat_token: SecretStr = SecretStr("")
    wechat_appid: str = ""
    wechat_appsecret: SecretStr = SecretStr("")
    wechat_encoding_aes_key: SecretStr = SecretStr("")
    wechat_previous_encoding_aes_key: SecretStr = SecretStr("")
    wechat_api_base: str = "https://api.weixin.qq.com"
    # WeChat waits 5 s for a passive reply; an answer not ready by then goes by the
    # customer-service API instead.
    wechat_reply_deadline_s: float = 4.5
    # Refuse to start with the channel on and no EncodingAESKey: plain mode's signature does not
    # cover the message, so anyone who sees one callback URL may post with it while it is fresh
    # (remembered nonces stop reuse, not a first use). Recommended on in any real deployment.
    wechat_require_safe_mode: bool = False

    # WeChat and Telegram users queued or with an agent whose listener died with its process
    # are taken over by another process within this many seconds (integrations/relay.py).
    relay_sweep_s: float = 10.0

    # Telegram bot (integrations/telegram). No token: the channel is off. With a webhook URL
    # (the public https address of /channels/telegram/webhook) Telegram pushes updates, each
    # carrying the secret in X-Telegram-Bot-Api-Secret-Token; without one the service polls.
    telegram_token: SecretStr = SecretStr("")
    telegram_secret: SecretStr = SecretStr("")
    telegram_webhook_url: str = ""
    telegram_api_base: str = "https://api.telegram.org"
    # getUpdates long-poll length in polling mode.
    telegram_poll_timeout_s: int = 30

    def embed_origin_list(self) -> list[str]:
        return [o.strip().rstrip("/") for o in self.embed_origins.split(",") if o.strip()]

    def rasa_servers(self) -> list[str]:
        listed = [u.strip().rstrip("/") for u in self.rasa_urls.split(",") if u.strip()]
        return listed or [self.rasa_url]

    def manual_skill_set(self) -> frozenset[Skill]:
        return frozenset(Skill(s.strip()) for s in self.manual_skills.split(",") if s.strip())


@lru_cache
def get_settings() -> Settings:
    return Settings()
