"""The one database sum of decimals: every points, shares and money aggregate goes through it."""

from decimal import Decimal

from django.db.models import Sum


class ExactSum(Sum):
    """Σ of a decimal column, exact on every database: a Decimal with the column's places.

    PostgreSQL sums `numeric` exactly. SQLite has no decimal type: it keeps the values as
    binary floating point and sums them as such, so the events −3.3, +5.1, −1.3, −1.1,
    +0.6 add up to −3.3e-16 instead of 0, and a score of 80 became 79.99999999999999967
    (paid in the wrong tier, or below a minimum score of 80).

    A sum of numbers with d decimal places has d decimal places itself, so rounding the
    database's result to the column's places gives back the exact sum whenever the
    floating-point error is below half a unit of the last place. That error is at most
    about n × Σ|x| × 2⁻⁵³ (n values): below 0.005 for any ledger this product will see
    (it would take 10⁶ values summing to 10⁷). A zero comes back as 0, never −0.
    PostgreSQL's sums are exact already: nothing is added there (the dividend run reads
    200,000 sums at once).
    """

    def get_db_converters(self, connection):
        converters = super().get_db_converters(connection)
        if connection.vendor == "sqlite":
            converters.append(self._to_column_places)
        return converters

    def _to_column_places(self, value, expression, connection):
        if value is None:
            return None
        places = self.output_field.decimal_places
        exact = Decimal(value).quantize(Decimal(1).scaleb(-places))
        return exact if exact else abs(exact)
