"""The names of things: each defect kind, channel, status and cause of a change, in its forms,
and the metrics of Amazon's account-health report."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Final, NamedTuple

from odr_analysis.schema import Channel, DefectKind

__all__ = [
    "CAUSES",
    "CHANNELS",
    "KINDS",
    "METRIC_NAMES",
    "STATUSES",
    "ChannelWords",
    "KindWords",
    "StatusWords",
    "group_label",
    "metric_name",
    "sentence",
    "status_legend",
]


class KindWords(NamedTuple):
    """How one kind of defect is named.

    ``one``: a single defect (``every A-to-z claim``); ``many``: a count of them (``2 A-to-z
    claims``); ``all``: the kind as a whole (``the negative feedback of order 1``); ``short``:
    (one, many) where the context is clear (the what-if panel); ``remedy``: what a seller can do
    about one.
    """

    one: str
    many: str
    all: str
    short: tuple[str, str]
    remedy: str

    @property
    def title(self) -> str:
        """The kind as a legend names it: ``Negative feedback``, ``A-to-z claims``."""
        return sentence(self.all)


KINDS: Final[Mapping[DefectKind, KindWords]] = {
    "negative_feedback": KindWords(
        one="negative feedback",
        many="negative feedbacks",
        all="negative feedback",
        short=("feedback", "feedbacks"),
        remedy=(
            "ask Amazon to remove it if it breaks the feedback rules, or the buyer to withdraw it"
        ),
    ),
    "a_to_z_claim": KindWords(
        one="A-to-z claim",
        many="A-to-z claims",
        all="A-to-z claims",
        short=("A-to-z claim", "A-to-z claims"),
        remedy="appeal the claim if it was decided wrongly",
    ),
    "chargeback": KindWords(
        one="chargeback",
        many="chargebacks",
        all="chargebacks",
        short=("chargeback", "chargebacks"),
        remedy="represent the chargeback with proof of delivery",
    ),
}
"""Each defect kind of :data:`odr_analysis.schema.KINDS`, in words."""


class ChannelWords(NamedTuple):
    """How a fulfilment channel is named: in a heading, in prose, and in a picker."""

    heading: str
    prose: str
    picker: str


CHANNELS: Final[Mapping[Channel, ChannelWords]] = {
    "AFN": ChannelWords(
        heading="FBA orders (AFN, fulfilled by Amazon)",
        prose="FBA orders",
        picker="FBA (Amazon-fulfilled)",
    ),
    "MFN": ChannelWords(
        heading="Seller-fulfilled orders (MFN)",
        prose="seller-fulfilled orders",
        picker="seller-fulfilled",
    ),
}
"""Each channel of :data:`odr_analysis.schema.CHANNELS`, in words."""


class StatusWords(NamedTuple):
    """How a status against the target is named: on a badge, and in a legend (with its rule)."""

    badge: str
    legend: str


STATUSES: Final[Mapping[str, StatusWords]] = {
    "breached": StatusWords("Over the target", "Breached (at or above target)"),
    "at_risk": StatusWords("At risk", "At risk (within {at_risk:.0%} of target)"),
    "met": StatusWords("Meets the target", "Meets target"),
    "no_orders": StatusWords("No orders", "No orders in the window"),
}
"""Each status of :func:`odr_analysis.portfolio.portfolio_status`, from worst to best."""


def status_legend(status: str, *, at_risk: float = 0.2) -> str:
    """The legend of a status: ``At risk (within 20% of target)``.

    >>> status_legend("at_risk"), status_legend("met")
    ('At risk (within 20% of target)', 'Meets target')
    """
    return STATUSES[status].legend.format(at_risk=at_risk)


CAUSES: Final[Mapping[str, tuple[str, str]]] = {
    "new_defects": ("new defects", "New|defects"),
    "defective_left": ("defective orders leaving the window", "Defective|orders left"),
    "new_orders": ("new orders", "New|orders"),
    "clean_left": ("clean orders leaving the window", "Clean|orders left"),
}
"""The four causes of a change of rate (:mod:`odr_analysis.explain`): in prose, and as a
chart's axis label (``|`` breaks the line)."""


def sentence(text: str) -> str:
    """``text`` with its first letter in capitals (the rest unchanged).

    >>> sentence("expected under 1% from 9 Mar 2026")
    'Expected under 1% from 9 Mar 2026'
    """
    return text[:1].upper() + text[1:]


def group_label(
    row: Mapping[str, object], keys: Sequence[str] = ("account", "marketplace", "channel")
) -> str:
    """``summit-outdoor Amazon.com MFN`` from a row with the group keys.

    >>> group_label({"account": "acme", "marketplace": "Amazon.com", "channel": "MFN"})
    'acme Amazon.com MFN'
    """
    return " ".join(str(row[key]) for key in keys)


METRIC_NAMES: Final[Mapping[str, str]] = {
    "orderDefectRate": "Order Defect Rate",
    "lateShipmentRate": "Late shipment rate",
    "preFulfillmentCancellationRate": "Pre-fulfilment cancel rate",
    "validTrackingRate": "Valid tracking rate",
    "onTimeDeliveryRate": "On-time delivery rate",
    "unitOnTimeDeliveryRate": "Unit on-time delivery rate",
    "invoiceDefectRate": "Invoice defect rate",
    "accountHealthRating": "Account Health Rating",
    "accountStatus": "Account status",
    "listingPolicyViolations": "Listing policy violations",
    "productAuthenticityCustomerComplaints": "Product authenticity complaints",
    "productConditionCustomerComplaints": "Product condition complaints",
    "productSafetyCustomerComplaints": "Product safety complaints",
    "foodAndProductSafetyIssues": "Food and product safety issues",
    "receivedIntellectualPropertyComplaints": "Received intellectual property complaints",
    "suspectedIntellectualPropertyViolations": "Suspected intellectual property violations",
    "restrictedProductPolicyViolations": "Restricted product policy violations",
    "customerProductReviewsPolicyViolations": "Customer product reviews policy violations",
    "otherPolicyViolations": "Other policy violations",
    "documentRequests": "Document requests",
    "policyViolationWarnings": "Policy violation warnings",
    "warningStates": "Warnings",
}
"""Each metric of the account-health report in words (:func:`metric_name` for any other), in
the order of :data:`odr_analysis.history.METRIC_ORDER`."""


def metric_name(metric: str) -> str:
    """A metric of the account-health report in words: ``lateShipmentRate`` -> ``Late
    shipment rate``; a key Amazon adds later is split at its capitals.

    >>> metric_name("preFulfillmentCancellationRate"), metric_name("newShinyMetric")
    ('Pre-fulfilment cancel rate', 'New shiny metric')
    """
    if metric in METRIC_NAMES:
        return METRIC_NAMES[metric]
    spaced = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", " ", metric).lower()
    return spaced[:1].upper() + spaced[1:]
