"""What a config change does, computed from Git alone: the model (`model`), the comparison of
two renders (`compare`), what a reviewer must see (`findings`) and the reports (`report`).

Pure: no file, Git or terminal access here. `generator/commands/plan.py` reads both sides.
"""
