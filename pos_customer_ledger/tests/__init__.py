from . import test_i18n, test_posting, test_security, test_statement
