"""What a write changed: the dotted paths, in a record's GET shape, whose values differ."""

# Set by every write, so never a change of its own.
UNTRACKED = ("date_updated",)


def _differ(before, after, path, found):
    if isinstance(before, dict) and isinstance(after, dict):
        for key in dict.fromkeys([*before, *after]):
            inner = f"{path}.{key}" if path else key
            if key not in before or key not in after:
                found.append(inner)
            else:
                _differ(before[key], after[key], inner, found)
    elif isinstance(before, list) and isinstance(after, list):
        for index in range(max(len(before), len(after))):
            inner = f"{path}.{index}"
            if index >= len(before) or index >= len(after):
                found.append(inner)
            else:
                _differ(before[index], after[index], inner, found)
    elif before != after or type(before) is not type(after):
        found.append(path)


def changed_paths(before, after):
    """The paths (`name`, `variations.2.price`) whose values differ between two documents
    of one record, `date_updated` aside; every key of `after` when `before` is None (a
    record created), every key of `before` when `after` is None (deleted)."""
    if before is None or after is None:
        return [key for key in (after or before) if key not in UNTRACKED]
    found = []
    _differ(
        {key: value for key, value in before.items() if key not in UNTRACKED},
        {key: value for key, value in after.items() if key not in UNTRACKED},
        "",
        found,
    )
    return found
