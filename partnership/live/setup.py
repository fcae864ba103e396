"""Choosing the broker and binding the relay and the stream to the app."""

from flask import Flask, g
from flask.sessions import SecureCookieSessionInterface

from partnership.live import publishing
from partnership.live.broker import InProcessBroker, RedisBroker
from partnership.live.relay import Relay
from partnership.live.stream import live, newest_event_id


class StreamsSetNoCookies(SecureCookieSessionInterface):
    """A live stream never sets or refreshes the session cookie."""

    def save_session(self, app, session, response):
        if g.get("live_stream"):
            return
        super().save_session(app, session, response)


def init_app(app: Flask) -> None:
    url = app.config.get("REDIS_URL")
    broker = RedisBroker(url, channel=app.config["LIVE_CHANNEL"]) if url else InProcessBroker()
    app.extensions["live_broker"] = broker
    app.extensions["live_relay"] = Relay(app, broker)
    app.session_interface = StreamsSetNoCookies()
    app.add_template_global(newest_event_id, "live_position")
    publishing.install()
    app.register_blueprint(live)
