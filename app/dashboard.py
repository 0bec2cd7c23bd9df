"""The ganscope dashboard's script, served by ``streamlit run app/main.py`` (see ``app/main.py``).

Sets the page config, draws the shared sidebar (run + snapshot picker) and runs the page
the user picked. ``streamlit run app/dashboard.py`` (and AppTest) run it directly, without the server's
first-visit help.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # `streamlit run app/dashboard.py` puts app/ on the path, not the project root
    sys.path.insert(0, str(ROOT))

import streamlit as st  # noqa: E402

from app import first_visit  # noqa: E402

first_visit.wait_for_warm_imports()  # the server imports the modules below as it starts: not twice at once

from app import keep, links  # noqa: E402
from app.components.importer import import_uploader  # noqa: E402
from app.components.samples_view import display_options  # noqa: E402
from app.components.sidebar import restore_from_png, run_picker  # noqa: E402

st.set_page_config(page_title="ganscope", page_icon=":material/blur_on:", layout="wide")

pages = {  # the sidebar's sections, in order
    "Explore": [
        st.Page(str(ROOT / "app" / "views" / "samples.py"), title="Samples", icon=":material/grid_view:", default=True),
        st.Page(str(ROOT / "app" / "views" / "interpolate.py"), title="Interpolate", icon=":material/timeline:"),
        st.Page(str(ROOT / "app" / "views" / "arithmetic.py"), title="Arithmetic", icon=":material/calculate:"),
        st.Page(str(ROOT / "app" / "views" / "directions.py"), title="Directions", icon=":material/explore:"),
        st.Page(str(ROOT / "app" / "views" / "project.py"), title="Project a photo", icon=":material/photo_camera:"),
    ],
    "Training": [
        st.Page(str(ROOT / "app" / "views" / "compare.py"), title="Compare", icon=":material/compare:"),
        st.Page(str(ROOT / "app" / "views" / "training.py"), title="Training", icon=":material/monitoring:"),
        st.Page(str(ROOT / "app" / "views" / "train.py"), title="Train", icon=":material/model_training:"),
        st.Page(str(ROOT / "app" / "views" / "diagnostics.py"), title="Diagnostics", icon=":material/troubleshoot:"),
        st.Page(str(ROOT / "app" / "views" / "ablation.py"), title="Ablation", icon=":material/science:"),
    ],
    "Learn": [
        st.Page(str(ROOT / "app" / "views" / "lab.py"), title="Lab", icon=":material/experiment:"),
        st.Page(str(ROOT / "app" / "views" / "classic.py"), title="Classic GANs", icon=":material/scatter_plot:"),
        st.Page(str(ROOT / "app" / "views" / "dynamics.py"), title="Dynamics", icon=":material/cyclone:"),
        st.Page(str(ROOT / "app" / "views" / "architecture.py"), title="Architecture", icon=":material/account_tree:"),
    ],
}
nav = st.navigation(pages, expanded=True)  # every page listed, whatever their number
links.apply(st.query_params.to_dict(), nav.url_path)  # a link's view, once per browser session
keep.keep()  # every page's inputs stay for the session, drawn or not
opened = run_picker()
import_uploader()
restore_from_png(opened[3].model.z_dim if opened else None)
if opened:
    links.apply_sets(str(opened[1]))
    links.fit_to_run(str(opened[1]), nav.url_path)
    view, left_out = links.current(opened[0], links.linked_step(opened[2]), nav.url_path)
    links.publish(view)
    links.copy_link(view, left_out)
links.show_notes()
display_options()
nav.run()
