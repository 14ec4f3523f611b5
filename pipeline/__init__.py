"""xwql: documents and e-archive for the village-level small and micro power list.

村级小微权力清单 (the village-level small and micro power list) is the catalog of
powers a village committee may exercise; xwql turns it and each village's case
ledger into public notices, disclosure packs and an auditable archive.
"""

import warnings

__version__ = "0.1.0"

# pyHanko and pyOpenSSL import DSA types that cryptography deprecates: the libraries'
# concern, not the user's, and every command that signs or verifies printed it.
warnings.filterwarnings("ignore", message="DSA is deprecated", category=UserWarning)
