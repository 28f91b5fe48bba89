"""Stage 2: map the superior's units onto local units and write the 任务分解表."""

from zwgk_xl.decompose.command import decompose_file, load_input
from zwgk_xl.decompose.mapping import decompose, map_unit, unmatched

__all__ = ["decompose", "decompose_file", "load_input", "map_unit", "unmatched"]
