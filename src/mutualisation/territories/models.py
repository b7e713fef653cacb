from __future__ import annotations

from sqlalchemy import Float, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..db import Base


class Territory(Base):
    """A commune (INSEE code) or a grouping of communes (EPCI, SIREN code)."""

    __tablename__ = "territories"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(9), unique=True)
    kind: Mapped[str] = mapped_column(String(10), default="commune")  # commune | epci
    name: Mapped[str] = mapped_column(String(200))
    search_name: Mapped[str] = mapped_column(String(200), index=True)
    department_code: Mapped[str | None] = mapped_column(String(3))
    department_name: Mapped[str | None] = mapped_column(String(100))
    region_code: Mapped[str | None] = mapped_column(String(3))
    region_name: Mapped[str | None] = mapped_column(String(100))
    population: Mapped[int | None] = mapped_column(Integer)
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    coordinates_source: Mapped[str | None] = mapped_column(String(30))
    epci_code: Mapped[str | None] = mapped_column(String(9), index=True)

    postcodes: Mapped[list[TerritoryPostcode]] = relationship(
        back_populates="territory", cascade="all, delete-orphan", order_by="TerritoryPostcode.postcode"
    )

    @property
    def postcode_list(self) -> list[str]:
        return [p.postcode for p in self.postcodes]

    def __repr__(self) -> str:
        return f"<Territory {self.code} {self.name}>"


class TerritoryPostcode(Base):
    __tablename__ = "territory_postcodes"
    __table_args__ = (Index("ix_territory_postcodes_postcode", "postcode"),)

    territory_id: Mapped[int] = mapped_column(
        ForeignKey("territories.id", ondelete="CASCADE"), primary_key=True
    )
    postcode: Mapped[str] = mapped_column(String(5), primary_key=True)

    territory: Mapped[Territory] = relationship(back_populates="postcodes")


class AppMeta(Base):
    """Small key/value facts about the installation, such as the gazetteer data version loaded."""

    __tablename__ = "app_meta"

    key: Mapped[str] = mapped_column(String(100), primary_key=True)
    value: Mapped[str] = mapped_column(String(500))
