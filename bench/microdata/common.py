"""Shared definitions of the benchmark aggregation, identical to `kwm microdata stack
--by gemeente,age_class,ses_class` with the default reading configuration."""

CHARACTERISTICS = [
    "flexible_employment", "vulnerable_sector", "small_financial_buffer", "disability",
    "vulnerable_health", "psychological_problems", "low_parental_education", "low_social_capital",
    "family_situation", "low_language_digital_skills", "age_old_young", "low_trust",
]
# Age classes by lower bound (KWB groups) and SES classes by income decile.
AGE_CLASSES = [(0, "0-14"), (15, "15-24"), (25, "25-44"), (45, "45-64"), (65, "65+")]
SES_CLASSES = [(3, "low"), (7, "middle"), (10, "high")]
MIN_COUNT = 10  # primary suppression: counts 1..9 are written as empty values
TOP = 3  # the default profile top-codes the stacking count: 0, 1, 2, 3plus
