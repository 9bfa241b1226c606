"""The baseline: the tutorial's way of making the same videos, in its own process.

    python bench/tutorial.py JOBS.json BASE_URL API_KEY POLL_SECONDS START_AT OUT.json

One thread per job, blocking `requests` without a session (as the tutorial writes it): submit,
poll, sleep POLL_SECONDS, poll... until completed, then stream the video to a file. Each job
starts at START_AT (a `time.time()` value) plus its offset. OUT.json receives, per job, its
prediction id, the polls it made, when the poll that saw it done returned and when its video
was on disk.
"""

from __future__ import annotations

import json
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.loadkit import PlannedJob, load_jobs


def make_video(
    job: PlannedJob, base_url: str, api_key: str, poll: float, start_at: float, folder: Path
) -> dict[str, Any]:
    """The tutorial's steps 2-4 for one job."""
    time.sleep(max(0.0, start_at + job.offset_seconds - time.time()))
    headers = {"Authorization": f"Bearer {api_key}"}
    payload = {
        "model": job.model,
        "prompt": job.prompt,
        "duration": job.duration,
        "resolution": job.resolution,
    }
    payload["ratio" if "seedance" in job.model else "aspect_ratio"] = "16:9"
    submitted = time.time()
    response = requests.post(
        f"{base_url}/model/generateVideo",
        headers={**headers, "Content-Type": "application/json"},
        json=payload,
        timeout=30,
    )
    response.raise_for_status()
    prediction_id = response.json()["data"]["id"]
    polls = 0
    while True:
        result = requests.get(
            f"{base_url}/model/prediction/{prediction_id}", headers=headers, timeout=30
        ).json()
        polls += 1
        status = result["data"]["status"]
        if status in ("completed", "succeeded"):
            video_url = result["data"]["outputs"][0]
            break
        if status == "failed":
            raise RuntimeError(result["data"].get("error") or "generation failed")
        time.sleep(poll)
    detected = time.time()
    with requests.get(video_url, stream=True, timeout=30) as r:
        r.raise_for_status()
        with (folder / f"{job.marker}.mp4").open("wb") as f:
            for chunk in r.iter_content(chunk_size=8192):
                f.write(chunk)
    return {
        "marker": job.marker,
        "prediction_id": prediction_id,
        "submitted": submitted,
        "polls": polls,
        "detected": detected,
        "delivered": time.time(),
    }


def main(argv: list[str]) -> None:
    jobs_path, base_url, api_key, poll, start_at, out = argv
    jobs = load_jobs(Path(jobs_path))
    results: list[dict[str, Any]] = []
    errors: list[str] = []
    lock = threading.Lock()
    with tempfile.TemporaryDirectory(prefix="bench-tutorial-") as folder:

        def one(job: PlannedJob) -> None:
            try:
                done = make_video(
                    job, base_url, api_key, float(poll), float(start_at), Path(folder)
                )
            except Exception as exc:
                with lock:
                    errors.append(f"{job.marker}: {exc!r}")
                return
            with lock:
                results.append(done)

        threads = [threading.Thread(target=one, args=(job,), daemon=True) for job in jobs]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    Path(out).write_text(json.dumps({"jobs": results, "errors": errors}))


if __name__ == "__main__":
    main(sys.argv[1:])
