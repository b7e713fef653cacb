"""The convention PDF: how long WeasyPrint takes to lay out the document issued for signature and
the frozen one, and whether two renderings of the same agreement give the same bytes (they need
not: the issued PDF is stored, so the hash a signer checks is always the one of the bytes served).

Run alone: `python bench/bench_convention_pdf.py [N]` (default 5 renderings of each; `--quick`: 3).
"""

from __future__ import annotations

import hashlib
import platform
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "src"))

from bench.machine import cpu_name, load_average, percentile  # noqa: E402
from mutualisation.agreements import convention_document, services, signing  # noqa: E402
from mutualisation.app import create_app  # noqa: E402
from mutualisation.migrate import upgrade  # noqa: E402
from mutualisation.storage import storage_for  # noqa: E402
from tests.builders import make_agreement, make_user  # noqa: E402

ACT = {"decision_kind": "deliberation", "decision_reference": "2026-42", "decision_date": "2026-04-12"}


def timed(render, agreement, n: int) -> tuple[list[float], set[str]]:
    samples, hashes = [], set()
    for _ in range(n):
        start = time.perf_counter()
        data = render(agreement)
        samples.append(time.perf_counter() - start)
        hashes.add(hashlib.sha256(data).hexdigest())
    return samples, hashes


def main(n: int) -> None:
    tmp = tempfile.mkdtemp()
    app = create_app({"ENV": "testing", "DATABASE_URL": f"sqlite:///{tmp}/b.sqlite3", "INSTANCE_PATH": tmp})
    upgrade(app.extensions["mutualisation.engine"])
    with app.test_request_context("/"), app.extensions["mutualisation.sessions"]() as session:
        people = {
            (role, code): make_user(session, role, code)
            for role in ("technician", "official")
            for code in ("59271", "62528")
        }
        session.commit()
        agreement = make_agreement(
            session, people[("technician", "59271")], people[("technician", "62528")], "pending_approval"
        )
        for code in ("59271", "62528"):
            services.transition(
                session, people[("official", code)], agreement.id, "approve", {"version": 1, **ACT}
            )
        issued_samples, issued_hashes = timed(convention_document.render, agreement, n)
        storage = storage_for(app)
        reader = people[("technician", "59271")]
        document = signing.convention_file(session, reader, agreement.id, convention_document.render, storage)
        for code in ("59271", "62528"):
            request = signing.SignRequest({"version": 1, "document_sha256": document.sha256})
            signing.sign(
                session,
                people[("official", code)],
                agreement.id,
                request,
                render=convention_document.render,
                storage=storage,
            )
        frozen_samples, frozen_hashes = timed(convention_document.render, agreement, n)
    print(f"machine: {cpu_name()} · {platform.python_version()} · load {load_average()}")
    for name, samples, hashes in (
        ("issued", issued_samples, issued_hashes),
        ("frozen", frozen_samples, frozen_hashes),
    ):
        print(
            f"{name} PDF: median {percentile(samples, 0.5) * 1000:.0f} ms, "
            f"max {max(samples) * 1000:.0f} ms over {n}; distinct byte strings: {len(hashes)}"
        )


if __name__ == "__main__":
    # `make bench` passes --quick to the scripts it has no size for.
    argument = sys.argv[1] if len(sys.argv) > 1 else "5"
    main(3 if argument == "--quick" else int(argument))
