"""Demo customers: invoice schedules that walk through every lifecycle stage.

Plain data, no ORM: ``customers()`` returns, for each demo customer, its name,
its archetype, the days before today of each invoice (and refund), and
whether it has an open opportunity. ``crm.lifecycle.profile._demo_generate``
turns them into partners, posted invoices and opportunities, then runs the
engine at a few past dates so that the history shows real stage moves.
"""

import random

PREFIXES = [
    "Carpathia",
    "Danube",
    "Moldova",
    "Bucovina",
    "Volga",
    "Neva",
    "Olt",
    "Siret",
    "Prut",
    "Mures",
    "Transilvania",
    "Dobrogea",
    "Baltic",
    "Ural",
    "Crimea",
    "Banat",
    "Maramures",
    "Oltenia",
    "Muntenia",
    "Delta",
]
SUFFIXES = [
    "Motors",
    "Trade",
    "Logistics",
    "Foods",
    "Textiles",
    "Pharma",
    "Retail",
    "Electric",
    "Furniture",
    "Autoservice",
    "Distribution",
    "Agro",
]

# archetype: (count, builder(rng) -> list of days ago of invoices)
ARCHETYPES = {
    # Buy every 25-45 days for two years: loyal champions.
    "loyal": (
        11,
        lambda rng: _every(rng, 730, rng.randint(25, 45), rng.randint(0, 20)),
    ),
    # Buy every 100-150 days: active, not frequent enough to be loyal.
    "active": (
        8,
        lambda rng: _every(rng, 700, rng.randint(100, 150), rng.randint(5, 60)),
    ),
    # First purchase within the last 90 days.
    "new": (
        7,
        lambda rng: sorted(rng.sample(range(1, 85), rng.randint(1, 2)), reverse=True),
    ),
    # Bought monthly, then stopped 100-300 days ago.
    "at_risk": (8, lambda rng: _every(rng, 600, 30, rng.randint(100, 300))),
    # Last purchase 400-700 days ago.
    "churned": (
        7,
        lambda rng: _every(rng, 730, rng.randint(30, 200), rng.randint(400, 700)),
    ),
    # Churned, then bought again 10-60 days ago.
    "won_back": (6, lambda rng: _every(rng, 730, 60, 520) + [rng.randint(10, 60)]),
    # One purchase 95-115 days ago: still active, promising.
    "one_time": (3, lambda rng: [rng.randint(95, 115)]),
    # Bought every 20 days for a year, nothing for more than a year.
    "churned_frequent": (2, lambda rng: _every(rng, 730, 20, rng.randint(380, 420))),
    # No invoice, an open opportunity.
    "prospect": (8, lambda rng: []),
}


def _every(rng, start, step, stop):
    """Days ago from ``start`` down to ``stop`` every ``step`` days, jittered."""
    days = []
    day = start - rng.randint(0, step)
    while day >= stop:
        days.append(max(day - rng.randint(0, 3), stop))
        day -= step
    return days or [stop]


def customers(seed=42):
    """Return the demo customers as dicts, the same list for the same seed."""
    rng = random.Random(seed)
    names = [f"{p} {s}" for p in PREFIXES for s in SUFFIXES]
    rng.shuffle(names)
    result = []
    for archetype, (count, builder) in ARCHETYPES.items():
        for _index in range(count):
            invoice_days = builder(rng)
            result.append(
                {
                    "name": names.pop(),
                    "archetype": archetype,
                    "invoices": [
                        (day, round(rng.uniform(150, 4000), 2)) for day in invoice_days
                    ],
                    # A refund on some customers with many invoices.
                    "refund": len(invoice_days) > 6 and rng.random() < 0.3,
                    "opportunity": archetype == "prospect"
                    or (archetype == "at_risk" and rng.random() < 0.5),
                }
            )
    return result
