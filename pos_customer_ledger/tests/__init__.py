from . import test_posting
from . import test_security
from . import test_statement
