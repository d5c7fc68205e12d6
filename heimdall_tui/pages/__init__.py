"""The pages, one module each. PAGES is the registry: its order is the tab order and the
number keys; adding a tab is one module and one line here."""

from heimdall_tui.pages.base import Page
from heimdall_tui.pages.executive import ExecutivePage
from heimdall_tui.pages.flow import FlowPage
from heimdall_tui.pages.investigator import InvestigatorPage
from heimdall_tui.pages.operations import OperationsPage
from heimdall_tui.pages.risk import RiskPage
from heimdall_tui.pages.trends import TrendsPage
from heimdall_tui.pages.triage import TriagePage

PAGES: tuple[type[Page], ...] = (
    ExecutivePage,
    OperationsPage,
    TrendsPage,
    RiskPage,
    InvestigatorPage,
    TriagePage,
    FlowPage,
)

__all__ = ["PAGES", "FlowPage", "InvestigatorPage", "Page", "TriagePage"]
