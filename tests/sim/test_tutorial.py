"""The tutorial's plain-`requests` walk-through works against the simulator unchanged, apart
from the base URL (and a shorter poll interval, so the test stays fast)."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import requests

from bot.settings import Settings
from bot.sim import AtlasSimulator, make_png
from bot.sim.jobs import sample_video

POLL_SECONDS = 0.05  # the tutorial sleeps 3 s between polls


def tutorial(base_url: str, api_key: str, image_path: Path, output_path: Path) -> list[str]:
    """Upload an image, submit generateVideo, poll until completed, download the output.

    Written as the tutorial writes it: blocking `requests`, no helpers. Returns the statuses
    seen, for the test to check.
    """
    headers = {"Authorization": f"Bearer {api_key}"}

    # Step 1: upload the image
    with open(image_path, "rb") as f:
        response = requests.post(
            f"{base_url}/model/uploadMedia", headers=headers, files={"file": f}, timeout=30
        )
    response.raise_for_status()
    image_url = response.json()["data"]["download_url"]

    # Step 2: submit the video job
    payload = {
        "model": "google/gemini-omni-flash/image-to-video-developer",
        "prompt": "The cat slowly turns its head and blinks at the camera",
        "images": [image_url],
        "duration": 8,
        "aspect_ratio": "16:9",
        "resolution": "1080p",
    }
    response = requests.post(
        f"{base_url}/model/generateVideo",
        headers={**headers, "Content-Type": "application/json"},
        json=payload,
        timeout=30,
    )
    response.raise_for_status()
    prediction_id = response.json()["data"]["id"]

    # Step 3: poll until the video is ready
    statuses = []
    while True:
        result = requests.get(
            f"{base_url}/model/prediction/{prediction_id}", headers=headers, timeout=30
        ).json()
        status = result["data"]["status"]
        statuses.append(status)
        if status in ("completed", "succeeded"):
            video_url = result["data"]["outputs"][0]
            break
        if status == "failed":
            raise RuntimeError(result["data"].get("error") or "generation failed")
        time.sleep(POLL_SECONDS)

    # Step 4: download the video
    with requests.get(video_url, stream=True, timeout=30) as r:
        r.raise_for_status()
        with open(output_path, "wb") as f:
            for chunk in r.iter_content(chunk_size=8192):
                f.write(chunk)
    return statuses


async def test_tutorial_scripts_run_against_the_simulator(
    settings: Settings, tmp_path: Path
) -> None:
    image = tmp_path / "cat.png"
    image.write_bytes(make_png(512, 512))
    output = tmp_path / "output.mp4"
    async with AtlasSimulator(
        settings.catalogue, api_key="tutorial-key", generation_seconds=0.3
    ) as sim:
        statuses = await asyncio.to_thread(tutorial, sim.base_url, "tutorial-key", image, output)
    assert output.read_bytes() == sample_video()
    assert statuses[-1] == "completed"
    assert len(statuses) >= 2  # it really polled while the job ran
    assert list(sim.uploads.values()) == [image.read_bytes()]
    (job,) = sim.jobs.values()
    assert job.body["images"][0].endswith("/cat.png")
    assert sim.submits_by_prompt[job.prompt] == 1
