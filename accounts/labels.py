"""Role names as people read them."""
from flask_babel import lazy_gettext as _l

ROLE_LABELS = {"staff": _l("Staff"), "editor": _l("Editor"), "publisher": _l("Publisher"),
               "trainer": _l("Trainer"), "quality_lead": _l("Quality lead"), "admin": _l("Admin")}
