"""Every domain's tables, so that Base.metadata knows them all (Alembic, the drift check, tests).

The list is explicit: a new domain with tables adds its `models` module here.
"""

from __future__ import annotations

from . import storage as storage_models  # the blobs table of the database storage backend
from .accounts import models as accounts_models
from .agreements import models as agreements_models
from .audit import models as audit_models
from .bookings import models as bookings_models
from .conversations import models as conversations_models
from .db import Base
from .listings import models as listings_models
from .matching import models as matching_models
from .notifications import models as notifications_models
from .scheduling import models as scheduling_models
from .territories import models as territories_models
from .welcome import models as welcome_models

MODEL_MODULES = (
    territories_models,
    accounts_models,
    audit_models,
    listings_models,
    matching_models,
    agreements_models,
    bookings_models,
    conversations_models,
    notifications_models,
    scheduling_models,
    storage_models,
    welcome_models,
)

metadata = Base.metadata
