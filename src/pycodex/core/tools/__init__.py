"""Tools offered to the model and their handlers: ``shell``, ``update_plan``, the apply_patch
seam. ``router.dispatch`` turns a call item into its output item."""
