"""Where the training screen's panels go: the columns for the terminal's width
(`_arrange`), and which side panels show and how tall, by the run's lesson (`_fit`); `v`
shows each side panel alone, `h` turns the gradient box to its histograms. A part of
TrainingScreen (tuidl.ui.screens.training), kept apart so each file holds one job; it uses
the screen's state, grad_panel, hist_panel, task_view, solo, hist_view and hist_layer."""
from __future__ import annotations

from textual.containers import VerticalScroll

from tuidl.ui.widgets.device_panel import DevicePanel
from tuidl.ui.widgets.grad_panel import DETAILS, GradPanel
from tuidl.ui.widgets.histograms import HistogramPanel
from tuidl.ui.widgets.task_view import TaskViewWidget

WIDE = 120  # columns from which the task view gets a column of its own
TALL = 40  # rows from which the device panel has room for its full form
MIN_OTHER = 6  # rows (borders included) a second side panel needs beside a gradient lesson
GRAD_TITLE = "gradient L2 norm per layer"
HIST_TITLE = "|gradient| and |weight| by decade"
# the gradient box's faces in the order h shows them, and the keys each says at its foot
HIST_VIEWS = (None, "layers", "time")
HIST_KEYS = {None: "", "layers": "h: over time · j/k: layer",
             "time": "h: norms · j/k: layer"}


class SideLayout:
    """Mixed into TrainingScreen."""

    def on_resize(self, event) -> None:
        self._arrange(event.size.width)
        self.call_after_refresh(self._fit)

    def _arrange(self, width: int | None = None) -> None:
        """Place the panels in columns for the terminal width and the run's family.

        Below `WIDE` columns the side column holds the gradient panel, the confusion matrix
        and the task view, as many as `_fit` finds room for. From `WIDE` on the task view gets
        a column of its own; a run without a confusion matrix (gan, word2vec) then stacks the
        gradient panel under the charts and gives the task view half the screen.
        """
        if self.task_view.parent is None:  # not composed yet
            return
        wide = (self.size.width if width is None else width) >= WIDE
        self.query_one(DevicePanel).set_class(self.size.height < TALL, "-compact")
        confusion = self.state.has_confusion
        self.set_class(wide, "-wide")
        self.set_class(not confusion, "-no-confusion")
        charts, side = self.query_one("#charts"), self.query_one("#side")
        target = self.query_one("#wide-slot") if wide else side
        if self.task_view.parent is not target:
            self.task_view.remove()
            self.task_view = TaskViewWidget(id="task-view")
            self.task_view.border_title = "task view"
            target.mount(self.task_view)
            self.task_view.update_state(self.state)
        target = charts if wide and not confusion else side
        box = self.grad_panel.parent
        if box is not None and box.parent is not target:
            box.remove()
            self.grad_panel = GradPanel(id="grad-panel")
            self.hist_panel = HistogramPanel(id="hist-panel")
            box = VerticalScroll(self.grad_panel, self.hist_panel, id="grad-box")
            self._grad_face(box)
            target.mount(box, before=0 if target is side else None)
            self.grad_panel.update_state(self.state)
            self.hist_panel.update_state(self.state)

    def _panels(self) -> tuple[str, list[str]]:
        """The panel that carries the run's lesson and the side panels it has, lesson first.
        A finished run that never sent a task view or confusion matrix has none (no box
        waiting forever)."""
        s = self.state
        have = ["grad"] + (["confusion"] if s.confusion is not None or (
            s.has_confusion and not s.finished) else []) + \
            (["task"] if s.view is not None or not s.finished else [])
        lesson = {"time_grads": "grad", "task_view": "task"}.get(s.lesson, s.lesson)
        if lesson not in have:
            lesson = "confusion" if "confusion" in have else "grad"
        return lesson, [lesson] + [p for p in have if p != lesson]

    def _fit(self) -> None:
        """Show and size the side panels for the run's lesson (its spec's or its preset's
        `lesson` panel) and the room there is.

        Below `WIDE` columns, one side column: a gradient lesson gets the gradient panel at
        the richest detail that fits over `MIN_OTHER` rows for the next panel (every layer
        stays on screen; without room for both, the next panel goes); a task view or
        confusion lesson fills the column under a gradient panel of at most a third of it.
        `v` shows each side panel alone in turn, `h` the histograms alone (below `WIDE`).
        From `WIDE` on every panel shows, the gradient panel as rich as its column allows.
        """
        if self.task_view.parent is None or self.grad_panel.parent is None:
            return
        self._grad_face()
        lesson, panels = self._panels()
        boxes = {"grad": self.grad_panel.parent, "confusion": self.query_one("#confusion-box"),
                 "task": self.task_view}
        column = boxes["grad"].parent
        rows = column.size.height or max(4, self.size.height - 2)
        # the panel's width inside the border, less a scrollbar's: measured so, the content
        # fits without one (a scrollbar would narrow it, wrap it longer and keep itself)
        width = max(10, (column.size.width or self.size.width // 2) - 4)
        shown, grad, wide = set(panels), None, self.has_class("-wide")
        self.query_one("#wide-slot").display = wide and "task" in panels
        if wide:
            budget = rows // 2 if column.id == "charts" else \
                rows - (MIN_OTHER if "confusion" in panels else 0)
            grad = self._grad_fit(width, budget)
        elif self.hist_view and self.state.hist_layers:  # else one line says there are none
            shown, grad = {"grad"}, self._grad_fit(width, rows, DETAILS)
        elif self.solo in panels:
            shown, grad = {self.solo}, ("full", "1fr")
        elif lesson == "grad":
            shown = set(panels[:2])
            grad = self._grad_fit(width, rows - MIN_OTHER) if len(panels) > 1 else None
            if grad is None or self._grad_shown.height_for(width, grad[0]) + 2 > grad[1]:
                shown, grad = {"grad"}, self._grad_fit(width, rows)  # every layer first
        else:
            shown = {lesson, "grad"}
            grad = self._grad_fit(width, max(4, rows // 3), DETAILS)
        for name, box in boxes.items():
            box.display = name in shown
        detail, height = grad
        alone = not any(boxes[n].display and boxes[n].parent is column for n in shown
                        if n != "grad")
        if alone and column.id == "side":
            height = "1fr"  # the column's only panel: its box reaches the bottom
        self._grad_shown.set_detail(detail)
        if str(boxes["grad"].styles.height) != str(height):
            boxes["grad"].styles.height = height

    def _grad_fit(self, width: int, budget: int,
                  details: tuple[str, ...] = DETAILS[:-1]) -> tuple[str, int]:
        """The richest of `details` of the gradient panel that fits `budget` rows (with its
        border), and the box height; the least, scrolling, where none fits. The one-line
        `headline` (no layers) only where the caller allows it: under a task-view lesson
        below WIDE, where v shows the layers."""
        for detail in details:
            need = self._grad_shown.height_for(width, detail) + 2
            if need <= budget:
                return detail, need
        return details[-1], max(3, budget)

    @property
    def _grad_shown(self) -> GradPanel | HistogramPanel:
        """The gradient box's panel on screen: the norms, or (h) the histograms."""
        return self.hist_panel if self.hist_view else self.grad_panel

    def _grad_face(self, box=None) -> None:
        """The gradient box (`box`, before it is mounted) as `hist_view` has it: its panel
        (app.tcss shows the one its class names), its title and, for the histograms, their
        keys at its foot."""
        box = box or self.grad_panel.parent
        box.set_class(bool(self.hist_view), "-histograms")
        title = HIST_TITLE if self.hist_view else GRAD_TITLE
        keys = HIST_KEYS[self.hist_view] if self.state.hist_layers else (
            "h: norms" if self.hist_view else "")
        if (box.border_title, box.border_subtitle) != (title, keys):  # the histograms came
            box.border_title, box.border_subtitle = title, keys
        self.hist_panel.show(self.hist_view or "layers", self.hist_layer)

    def action_histograms(self) -> None:
        """h: the gradient box shows every layer's histograms, then one layer's over time,
        then the norms again; below `WIDE` the histograms take the side column alone."""
        views = HIST_VIEWS if self.state.hist_layers else HIST_VIEWS[:2]  # none: nor in time
        self.hist_view = views[(views.index(self.hist_view) + 1) % len(views)]
        self.solo = None
        self._fit()

    def action_hist_layer(self, step: int) -> None:
        """j / k: the next or the previous layer, for the histograms' time view."""
        self.hist_layer = (self.hist_layer + step) % max(1, len(self.state.hist_layers))
        self._fit()

    def action_cycle_view(self) -> None:
        """Below `WIDE` columns: each side panel alone, full height, in turn, then the
        lesson's layout again (the gradient box back at its norms)."""
        if self.hist_view:
            self.hist_view = None
            self._fit()
        if self.has_class("-wide"):
            self.notify("every panel is on screen at this size")
            return
        _, panels = self._panels()
        order = [None] + panels
        self.solo = order[(order.index(self.solo) + 1) % len(order)
                          if self.solo in order else 1]
        self._fit()
