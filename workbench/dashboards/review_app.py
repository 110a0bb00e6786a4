"""The review dashboard as a Panel script, for installs without notebooks/review.ipynb.

`panel serve` runs this file like the review notebook: the library comes from $WORKBENCH_DB.
"""

import panel as pn

from workbench.dashboards import review_dashboard

pn.extension()
review_dashboard().servable(title="Pro Studio review")
