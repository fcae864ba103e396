"""Profile one bench page in-process with pyinstrument (not part of `make bench`).

    .venv/bin/pip install pyinstrument
    .venv/bin/python bench/profile.py /inbox inbox_coordinator [repeats]

Uses BENCH_DATABASE_URL and instance/bench.json, the production configuration and the
user named (a key of bench.json's "users"), signed in through the session as a browser is.
"""

import json
import os
import secrets
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[0] = str(ROOT)
os.environ.setdefault(
    "DATABASE_URL",
    os.environ.get("BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1/partnership_bench"),
)
os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(48))


def main() -> None:
    from pyinstrument import Profiler
    from sqlalchemy import select

    from partnership import create_app
    from partnership.auth import sessions
    from partnership.extensions import db
    from partnership.models import User

    path, who = sys.argv[1], sys.argv[2]
    repeats = int(sys.argv[3]) if len(sys.argv) > 3 else 10
    info = json.loads((ROOT / "instance" / "bench.json").read_text())
    app = create_app("production")
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == info["users"][who]))
        user_id = user.get_id()
        token = sessions.begin(user)  # a signed-in session needs its record
        db.session.commit()
    client = app.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = user_id
        session["_fresh"] = True
        session[sessions.KEY] = token
    status = client.get(path, base_url="https://localhost").status_code
    print(f"GET {path} as {who}: {status}")
    profiler = Profiler(interval=0.0005)
    profiler.start()
    for _ in range(repeats):
        client.get(path, base_url="https://localhost")
    profiler.stop()
    print(profiler.output_text(unicode=True, color=False, show_all=False))


if __name__ == "__main__":
    main()
