from . import access
from . import dates
from . import validation
from . import xlsx
