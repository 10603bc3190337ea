"""Module-level user functions for the processing tests (spawned workers must be able to import them)."""

import os
import time


def square_pair(x):
    return (x, x**2)


def identity(x):
    return x


def even_values_twice(x):
    if x % 2 == 0:
        yield x
        yield x + 1000


def none_for_odd(x):
    return None if x % 2 else x


def fail_on_three(x):
    if x == 3:
        raise ValueError(f"cannot handle {x}")
    time.sleep(0.01)
    return x


def slow_identity(x):
    time.sleep(0.05)
    return x


def fail_on_seven_after_delay(x):
    if x == 7:
        raise KeyError("seven")
    time.sleep(0.02)
    return x


def token_sequence(x):
    import numpy as np

    return np.arange(x * 4, x * 4 + 4, dtype=np.int32)


def write_text_file(item, output_dir):
    folder = os.path.join(output_dir, f"group-{item % 2}")
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, f"{item}.txt"), "w") as f:
        f.write(str(item))


def write_is_last_marker(item, output_dir, is_last):
    with open(os.path.join(output_dir, f"{item}-{is_last}.txt"), "w") as f:
        f.write("x")


def write_device(item, output_dir, device):
    with open(os.path.join(output_dir, f"{item}.device"), "w") as f:
        f.write(device)


def map_returns_value(item, output_dir):
    return item


def crash_on_five(x):
    if x == 5:
        os._exit(3)
    return x


def times_ten(x):
    return x * 10


def column_sum(table):
    return sum(table.column("a").to_pylist())


def record_pid_then_sleep(x):
    """Leaves a file named after the worker's pid in $LITDATA_TEST_PID_DIR, then takes its time."""
    open(os.path.join(os.environ["LITDATA_TEST_PID_DIR"], str(os.getpid())), "w").close()
    time.sleep(0.5)
    return x


def record_pid_then_sleep_in_map(x, output_dir):
    """`map`'s form of `record_pid_then_sleep`: writes nothing."""
    record_pid_then_sleep(x)


def environment_mark(x):
    return {"x": x, "mark": os.environ.get("LITDATA_TEST_MARK", "")}
