"""Customer lifetime value models: who will buy again, how often, how much, and for how long.

Transaction models (non-contractual): BetaGeo (BG/NBD), ModifiedBetaGeo (MBG/NBD), ParetoNBD;
discrete opportunities: BetaGeoBetaBinom (BG/BB); spend: GammaGamma; contractual retention:
ShiftedBetaGeo (sBG). Each follows scikit-learn's estimator contract (see base.py).
"""

from centric.models.clv.base import ConvergenceError, DataError
from centric.models.clv.beta_geo import BetaGeo, ModifiedBetaGeo
from centric.models.clv.beta_geo_beta_binom import BetaGeoBetaBinom
from centric.models.clv.evaluation import compare_models, holdout_by_frequency, holdout_error, tracking_curve
from centric.models.clv.gamma_gamma import GammaGamma, frequency_spend_correlation
from centric.models.clv.pareto_nbd import ParetoNBD
from centric.models.clv.shifted_beta_geo import ShiftedBetaGeo, survivors_from_customers
from centric.models.clv.special import log_hyp2f1
from centric.models.clv.value import discounted_value

__all__ = [
    "BetaGeo", "BetaGeoBetaBinom", "ConvergenceError", "DataError", "GammaGamma", "ModifiedBetaGeo",
    "ParetoNBD", "ShiftedBetaGeo", "compare_models", "discounted_value", "frequency_spend_correlation",
    "holdout_by_frequency", "holdout_error", "log_hyp2f1", "survivors_from_customers", "tracking_curve",
]
