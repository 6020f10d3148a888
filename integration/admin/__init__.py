"""Where supervisors run the desk, one module per area of the admin.

callbacks: the callback queue · calls: the call log · events: webhook events and replay ·
routing: routing settings · menus: the voice menu · teams: Freshdesk groups' routing ·
dashboard: the last 30 days at a glance (its own page).
"""

from django.contrib import admin

from . import callbacks, calls, events, menus, routing, teams  # noqa: F401  (each registers its ModelAdmin)

admin.site.site_header = "SautiDesk"
admin.site.site_title = "SautiDesk admin"
admin.site.index_title = "Run the desk"
# The index and breadcrumbs lead everywhere; the side menu took a quarter of the width that
# the call log and event lists need at 1280 px.
admin.site.enable_nav_sidebar = False
