"""Write the golden media datasets with the real LitData 0.2.76 into ``tests/fixtures/media-0.2.76``.

Run with the reference release importable, never with our package on the path:

    PYTHONPATH=/work/main/.cache/reference-litdata:tests/media:tests/streaming \
        /work/main/.venv/bin/python tests/media/record.py

Per case of ``media_cases.CASES``: ``<case>/`` (the optimized dataset as the release left it) and
``<case>.expected.pkl`` (its samples passed through ``media_cases.describe``): decoded by the release itself, or,
for the kinds it cannot decode on this machine (no torchvision / torchcodec), computed from the inputs.
"""

import os
import pickle
import shutil
import sys

import media_cases

import litdata as ld

OUTPUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixtures", "media-0.2.76")


def main() -> None:
    assert ld.__version__ == "0.2.76", f"run with the reference release on PYTHONPATH, not {ld.__file__}"
    os.makedirs(OUTPUT, exist_ok=True)
    for case in sys.argv[1:] or media_cases.CASES:
        folder = os.path.join(OUTPUT, case)
        shutil.rmtree(folder, ignore_errors=True)
        ld.optimize(
            fn=media_cases.make_fn(case),
            inputs=list(range(media_cases.NUM_ITEMS)),
            output_dir=folder,
            chunk_size=media_cases.NUM_ITEMS,
            num_workers=1,
        )
        if case in media_cases.REFERENCE_CANNOT_DECODE | media_cases.REFERENCE_CANNOT_READ_ITS_OWN:
            expected = [media_cases.expected(case, i) for i in range(media_cases.NUM_ITEMS)]
        else:
            dataset = ld.StreamingDataset(folder)
            expected = [media_cases.describe(dataset[i]) for i in range(len(dataset))]
        with open(os.path.join(OUTPUT, f"{case}.expected.pkl"), "wb") as file:
            pickle.dump(expected, file)
        print(case, sorted(os.listdir(folder)))


if __name__ == "__main__":
    main()
