"""Tools offered to the model and their handlers: ``shell``, ``update_plan``,
``apply_patch``. ``router.dispatch`` turns a call item into its output item."""
