from . import access
from . import validation
