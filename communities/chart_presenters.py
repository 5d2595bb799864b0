"""Display shaping of the 美丽积分图 (chart_views.points_chart): the texts of each cell, the
page's figures and the data the chart script draws."""

from django.utils.translation import gettext as _

from pinghu_points.formatting import plain_points, signed_points


def chart_display(*, rows, averages, labels, threshold, average_label):
    """What the chart page shows of the selector's rows and monthly averages."""
    _with_texts(rows)
    return {
        "threshold_text": plain_points(threshold),
        "rows": rows,
        "averages": [{"value": value, "text": plain_points(value)} for value in averages],
        "improving": sum(1 for row in rows if row["trend"] == "up"),
        "falling": sum(1 for row in rows if row["trend"] == "down"),
        "latest_average": plain_points(averages[-1]) if averages else "",
        "chart_data": _chart_data(
            rows=rows,
            averages=averages,
            labels=labels,
            threshold=threshold,
            average_label=average_label,
        )
        if rows
        else None,
    }


def _with_texts(rows):
    """Add the display texts to the selector's rows (the low list shares the same dicts)."""
    for row in rows:
        for cell in row["cells"]:
            cell["text"] = plain_points(cell["score"])
        row["last_text"] = plain_points(row["last"])
        row["change_text"] = signed_points(row["change"])
    return rows


def _chart_data(*, rows, averages, labels, threshold, average_label):
    return {
        "labels": labels,
        "threshold": float(threshold),
        "households": [
            {
                "label": f"{row['household'].number} {row['household'].head_name}",
                "scores": [float(cell["score"]) for cell in row["cells"]],
                "low": bool(row["streak"]),
            }
            for row in rows
        ],
        "average": [float(value) for value in averages],
        "text": {
            "average": average_label,
            "threshold": _("低分线 %(threshold)s 分") % {"threshold": plain_points(threshold)},
            "low": _("持续低分"),
            "points": _("积分"),
            "month": _("月份"),
        },
    }
