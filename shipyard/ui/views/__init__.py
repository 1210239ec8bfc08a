"""The pages, one module per area; each registers its pages and actions with
``shipyard.ui.pages`` when imported."""
