from . import access
from . import validation
from . import xlsx
