"""The demo's scripted annotator: the box fixes a person would make in CVAT, made by a program.

It drives :class:`labelloop.testing.annotator.Annotator` (CVAT's public REST
API, as the UI uses it) on the demo's one job: moves one box, relabels one,
deletes one, draws a new one, then marks the job completed. It returns one
line per edit so the demo can say exactly what "the annotator" did.
"""

from __future__ import annotations

from typing import Any

from labelloop.testing.annotator import Annotator


def fix_boxes(
    url: str, username: str, password: str, results: Any, frame_size: tuple[int, int]
) -> list[str]:
    """Edit the first job of ``results``' first task and complete it; describe each edit.

    ``frame_size`` is the image's ``(width, height)`` in pixels.
    """
    task_id = results.task_ids[0]
    job_id = results.job_ids[task_id][0]
    done: list[str] = []
    with Annotator(url, username, password) as person:
        names = {label["id"]: label["name"] for label in person.task(task_id).labels()}
        width, height = frame_size
        shapes = sorted(person.annotations(job_id)["shapes"], key=lambda s: s["id"])
        if shapes:
            first = shapes[0]
            person.move_shape(job_id, first["id"], width * 0.05, height * 0.05)
            done.append(f"moved a '{names[first['label_id']]}' box right and down")
        if len(shapes) >= 2:
            target = shapes[1]
            old = names[target["label_id"]]
            new = next((n for n in sorted(names.values()) if n != old), None)
            if new is not None:
                person.change_label(job_id, target["id"], new)
                done.append(f"changed a box's label from '{old}' to '{new}'")
        if len(shapes) >= 3:
            last = shapes[-1]
            person.delete_shapes(job_id, [last["id"]])
            done.append(f"deleted a '{names[last['label_id']]}' box")
        label = sorted(names.values())[0]
        person.add_shape(
            job_id,
            type="rectangle",
            label=label,
            frame=0,
            points=[width * 0.4, height * 0.4, width * 0.6, height * 0.6],
            attributes={"iscrowd": 0},
        )
        done.append(f"drew a new '{label}' box in the middle of the image")
        person.complete(job_id)
        done.append(f"marked job {job_id} completed")
    return done
