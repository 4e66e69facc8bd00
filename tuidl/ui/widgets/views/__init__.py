"""Task views: one module per `kind` of task_view event, each a function

    render(view: TaskView, width: int, height: int, metrics: dict) -> rich renderable

that draws the event's data into `width` x `height` cells (`metrics` are the run's latest
evaluation metrics, for titles). `render_view` picks the function; unknown kinds fall back to
a plain listing. Renderers are pure and cheap: they run only when the view or size changed.
"""
from __future__ import annotations

from typing import Any, Callable

from rich.console import RenderableType

from tuidl.events import TaskView
from tuidl.ui.widgets.views import (boundary, embeddings, filters, gan_images, generic, samples,
                                    sentences)

Renderer = Callable[[TaskView, int, int, dict[str, Any]], RenderableType]

RENDERERS: dict[str, Renderer] = {
    "decision_boundary": boundary.render_boundary,
    "separating_line": boundary.render_line,
    "samples": samples.render,
    "gan_images": gan_images.render,
    "filters": filters.render,
    "embeddings": embeddings.render,
    "sentences": sentences.render,
}


def render_view(view: TaskView, width: int, height: int,
                metrics: dict[str, Any] | None = None) -> RenderableType:
    renderer = RENDERERS.get(view.kind, generic.render)
    return renderer(view, max(8, width), max(4, height), metrics or {})
