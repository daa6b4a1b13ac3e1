"""What an import did, per kind of record: counts, skips with reasons, losses."""

from collections import Counter

KINDS = ("statuses", "products", "orders")
# Skipped records listed by id in the summary, per kind and reason; the rest are counted.
LISTED = 20


class KindSummary:
    """The outcome for one kind of record."""

    def __init__(self):
        self.counts = Counter({"created": 0, "replaced": 0, "unchanged": 0})
        self.skipped = {}  # reason -> [ids]
        self.gone = []  # ids copied before that the source no longer has
        self.pruned = 0
        self.losses = Counter()  # what could not be read from the source -> records

    def count(self, outcome):
        self.counts[outcome] += 1

    def skip(self, record_id, reason):
        self.skipped.setdefault(reason, []).append(record_id)

    def lose(self, what, times=1):
        self.losses[what] += times

    def as_dict(self):
        return {
            **self.counts,
            "skipped": sum(len(ids) for ids in self.skipped.values()),
            "skipped_reasons": [
                {"reason": reason, "count": len(ids), "ids": sorted(ids)[:LISTED]}
                for reason, ids in self.skipped.items()
            ],
            "gone": sorted(self.gone),
            "pruned": self.pruned,
            "losses": [{"what": what, "records": n} for what, n in self.losses.items()],
        }


class Summary:
    """The whole import's outcome."""

    def __init__(self, source, flavour, dry_run):
        self.source = source
        self.flavour = flavour
        self.dry_run = dry_run
        self.kinds = {}
        self.losses = []  # losses of the whole import, not of one record

    def kind(self, name):
        return self.kinds.setdefault(name, KindSummary())

    def as_dict(self):
        return {
            "source": self.source,
            "source_kind": self.flavour,
            "dry_run": self.dry_run,
            "losses": self.losses,
            **{name: self.kinds[name].as_dict() for name in KINDS if name in self.kinds},
        }

    def lines(self):
        """The summary as text, one line per fact."""
        head = f"Imported from {self.source} ({self.flavour})"
        yield head + (" — dry run, nothing written" if self.dry_run else "")
        for name in KINDS:
            if name not in self.kinds:
                continue
            kind = self.kinds[name].as_dict()
            counts = ", ".join(f"{kind[key]} {key}" for key in ("created", "replaced", "unchanged"))
            yield f"{name}: {counts}, {kind['skipped']} skipped"
            for skip in kind["skipped_reasons"]:
                ids = ", ".join(str(record_id) for record_id in skip["ids"])
                more = " …" if skip["count"] > len(skip["ids"]) else ""
                yield f"  skipped {skip['count']}: {skip['reason']} (ids {ids}{more})"
            if kind["gone"]:
                action = "deleted" if kind["pruned"] else "kept (use --prune to delete)"
                yield f"  gone from the source: {len(kind['gone'])}, {action}"
            for loss in kind["losses"]:
                yield f"  lost: {loss['what']} ({loss['records']} records)"
        for loss in self.losses:
            yield f"lost: {loss}"
