from . import test_adjustment
from . import test_backfill
from . import test_i18n
from . import test_integrity
from . import test_opening_import
from . import test_posting
from . import test_security
from . import test_statement
