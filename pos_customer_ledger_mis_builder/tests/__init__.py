from . import test_mis_bridge
