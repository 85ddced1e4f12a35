"""League-table files: CSV and XLSX in the CONTRACTS.md columns (pandas, openpyxl)."""

import io

import pandas as pd


def table_csv(frame: pd.DataFrame) -> bytes:
    """UTF-8 CSV with a header row; blank cells for missing values."""
    return frame.to_csv(index=False).encode("utf-8")


def table_xlsx(frame: pd.DataFrame, *, sheet: str = "League table") -> bytes:
    """An XLSX workbook: a bold header row, frozen panes below it and beside the PCT
    name, and columns wide enough for their contents."""
    buffer = io.BytesIO()
    with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
        frame.to_excel(writer, index=False, sheet_name=sheet)
        worksheet = writer.sheets[sheet]
        worksheet.freeze_panes = "D2"  # keep rank, ODS code and PCT name in view
        for index, column in enumerate(frame.columns, start=1):
            values = [str(column), *(str(v) for v in frame[column].tolist() if not pd.isna(v))]
            width = min(max(len(v) for v in values) + 2, 60)
            worksheet.column_dimensions[
                worksheet.cell(row=1, column=index).column_letter
            ].width = width
    return buffer.getvalue()
