"""Who may upload or roll back: the ICT division. Viewing stays open.

Three ways, in this order (README: アクセス制御):
1. OIDC through st.login, when [auth] is configured in .streamlit/secrets.toml; the allowed
   accounts are listed in [kpi_auth] allowed_emails / allowed_domains.
2. A password whose PBKDF2 hash is in [kpi_auth] password_hash or KPI_UPLOAD_PASSWORD_HASH.
3. Neither: `make run` generates a one-time password, prints it in its terminal and passes
   its hash to the app through KPI_UPLOAD_PASSWORD_HASH (as notebook servers do with tokens).
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

import streamlit as st

from kpi.auth import Throttle, verify_password, wait_words
from kpi.errors import KpiError
from ui.format import md

ENV_HASH = "KPI_UPLOAD_PASSWORD_HASH"
_USER = "_upload_user"


def _secrets() -> dict:
    """The app's secrets; a secrets.toml that exists but cannot be read is a KpiError (the
    boundary shows it): Streamlit would treat it as absent and silently drop the password or
    the identity provider configured in it."""
    try:
        loaded = st.secrets.load_if_toml_exists()
        if loaded:
            return {k: st.secrets[k] for k in st.secrets}
    except Exception as e:  # a broken secrets.toml must not open the door
        raise _unreadable(e) from e
    present = [p for p in st.config.get_option("secrets.files") if Path(p).is_file()]
    if present:
        raise _unreadable(None, present[0])
    return {}


def _unreadable(error: Exception | None, path: str = ".streamlit/secrets.toml") -> KpiError:
    return KpiError(
        f"{path} を読み込めません（TOML の書式を確認してください）。直すまで取込はできません。"
    )


@st.cache_resource
def _throttle() -> Throttle:
    return Throttle()


def _client() -> str:
    """Who is guessing, for the per-client throttle: the browser's address when Streamlit
    knows it (not on localhost), else this browser session."""
    address = st.context.ip_address
    if address:
        return f"ip:{address}"
    return "session:" + st.session_state.setdefault("_login_client", secrets.token_hex(16))


def mode() -> str:
    secrets = _secrets()
    if "auth" in secrets:
        return "oidc"
    if secrets.get("kpi_auth", {}).get("password_hash") or os.environ.get(ENV_HASH):
        return "password"
    return "none"


def _password_hash() -> str:
    return str(_secrets().get("kpi_auth", {}).get("password_hash") or os.environ.get(ENV_HASH, ""))


def _oidc_allowed(email: str) -> bool:
    conf = _secrets().get("kpi_auth", {})
    emails = {e.lower() for e in conf.get("allowed_emails", [])}
    domains = {d.lower().lstrip("@") for d in conf.get("allowed_domains", [])}
    email = email.lower()
    return email in emails or email.rsplit("@", 1)[-1] in domains


def _logged_in() -> bool:
    # st.user has no is_logged_in until an identity provider session exists (e.g. in AppTest)
    return bool(getattr(st.user, "is_logged_in", False))


def uploader() -> str | None:
    """The signed-in uploader's name, or None. Renders nothing."""
    m = mode()
    if m == "oidc":
        if not _logged_in():
            return None
        email = str(st.user.get("email", ""))
        return str(st.user.get("name") or email) if _oidc_allowed(email) else None
    if m == "password":
        return st.session_state.get(_USER)
    return None


def login_panel() -> None:
    """Sign-in (or sign-out) controls for the mode in use."""
    m = mode()
    if m == "none":
        st.error(
            "取込の認証が設定されていません。`make run` で起動するとワンタイムパスワードが"
            "ターミナルに表示されます。恒久的な設定は README の「アクセス制御」を参照してください。"
        )
        return
    if m == "oidc":
        if not _logged_in():
            st.info("取込と取消は情報システム課の担当者だけが行えます。ログインしてください。")
            st.button("ログイン", on_click=st.login, icon=":material/login:")
            return
        email = str(st.user.get("email", ""))
        if not _oidc_allowed(email):
            st.error(f"{md(email)} には取込の権限がありません。情報システム課に依頼してください。")
        st.button("ログアウト", on_click=st.logout, key="logout")
        return
    if st.session_state.get(_USER):
        c1, c2 = st.columns([4, 1])
        c1.caption(f"取込担当: {md(st.session_state[_USER])}")
        if c2.button("ログアウト", key="logout"):
            st.session_state.pop(_USER)
            st.rerun()
        return
    with st.form("upload-login"):
        st.markdown("取込と取消は情報システム課の担当者だけが行えます。")
        name = st.text_input("お名前（取込履歴に記録されます）", key="login_name")
        password = st.text_input("取込用パスワード", type="password", key="login_password")
        submitted = st.form_submit_button("ログイン", icon=":material/login:")
    if not submitted:
        return
    if not name.strip():  # a forgotten name is not a guess: nothing checked, nothing counted
        st.error("お名前を入力してください。")
        return
    tried = _throttle().attempt(_client(), lambda: verify_password(password, _password_hash()))
    if tried.ok:
        st.session_state[_USER] = name.strip()
        st.rerun()
    if not tried.checked:
        st.error(
            f"ログインの試行が続いたため、{wait_words(tried.wait)}待ってからやり直してください。"
        )
        return
    st.error(f"パスワードが違います。確認して、{wait_words(tried.wait)}後にやり直してください。")
