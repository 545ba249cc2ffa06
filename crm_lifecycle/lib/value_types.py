"""Data types of the customer value model: fitted parameters and the fit.

Part of :mod:`value_model` (see its docstring for the model, the formulas
and the JSON form of a fit); import the names from there.
"""

from dataclasses import asdict, dataclass, field

# Heuristic rate when nobody bought twice: one purchase a year (per week).
DEFAULT_RATE = 1.0 / 52.0


@dataclass(frozen=True)
class BGNBDParams:
    """BG/NBD parameters: lambda ~ Gamma(r, alpha) (weeks), p ~ Beta(a, b)."""

    r: float
    alpha: float
    a: float
    b: float


@dataclass(frozen=True)
class GammaGammaParams:
    """Gamma-Gamma parameters: spend ~ Gamma(p, nu), nu ~ Gamma(q, v)."""

    p: float
    q: float
    v: float


@dataclass
class ValueFit:
    """A fitted value model (or the heuristic fallback), JSON round-trippable."""

    method: str
    bgnbd: BGNBDParams | None = None
    gamma_gamma: GammaGammaParams | None = None
    customers: int = 0
    repeat_customers: int = 0
    loglik_bgnbd: float | None = None
    loglik_gg: float | None = None
    fit_seconds: float = 0.0
    warnings: list[str] = field(default_factory=list)
    heuristic: dict = field(default_factory=dict)

    def to_dict(self):
        """Plain JSON-able dict (see :meth:`from_dict`)."""
        return {
            "method": self.method,
            "bgnbd": asdict(self.bgnbd) if self.bgnbd else None,
            "gamma_gamma": asdict(self.gamma_gamma) if self.gamma_gamma else None,
            "customers": int(self.customers),
            "repeat_customers": int(self.repeat_customers),
            "loglik_bgnbd": _float_or_none(self.loglik_bgnbd),
            "loglik_gg": _float_or_none(self.loglik_gg),
            "fit_seconds": float(self.fit_seconds),
            "warnings": list(self.warnings),
            "heuristic": {
                "rate": float(self.heuristic.get("rate", DEFAULT_RATE)),
                "mean_value": float(self.heuristic.get("mean_value", 0.0)),
            },
        }

    @classmethod
    def from_dict(cls, data):
        """The fit stored by :meth:`to_dict`; a missing BG/NBD part means the
        heuristic."""
        data = data or {}
        bgnbd = data.get("bgnbd")
        gamma_gamma = data.get("gamma_gamma")
        if bgnbd is not None:
            bgnbd = BGNBDParams(
                **{k: float(bgnbd[k]) for k in ("r", "alpha", "a", "b")}
            )
        if gamma_gamma is not None:
            gamma_gamma = GammaGammaParams(
                **{k: float(gamma_gamma[k]) for k in ("p", "q", "v")}
            )
        heuristic = data.get("heuristic") or {}
        method = data.get("method", "heuristic")
        if bgnbd is None:
            method = "heuristic"
        return cls(
            method=method,
            bgnbd=bgnbd,
            gamma_gamma=gamma_gamma,
            customers=int(data.get("customers", 0)),
            repeat_customers=int(data.get("repeat_customers", 0)),
            loglik_bgnbd=_float_or_none(data.get("loglik_bgnbd")),
            loglik_gg=_float_or_none(data.get("loglik_gg")),
            fit_seconds=float(data.get("fit_seconds", 0.0)),
            warnings=list(data.get("warnings", [])),
            heuristic={
                "rate": float(heuristic.get("rate", DEFAULT_RATE)),
                "mean_value": float(heuristic.get("mean_value", 0.0)),
            },
        )


def _float_or_none(value):
    return None if value is None else float(value)
