from . import test_i18n
from . import test_segment_mailing_list
from . import test_anonymize_mailing
from . import test_registration
