from . import access
from . import dates
from . import entry_hash
from . import money
from . import planner
from . import posting_rules
from . import validation
from . import xlsx
