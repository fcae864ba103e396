"""The base class of every model.

Flask-SQLAlchemy builds `db.Model` at run time, so a type checker cannot see what it is;
it is the declarative `Model` of `partnership.extensions` with Flask-SQLAlchemy's mixins.
"""

from typing import TYPE_CHECKING

from partnership.extensions import db

if TYPE_CHECKING:
    from partnership.extensions import Model
else:
    Model = db.Model

__all__ = ["Model"]
