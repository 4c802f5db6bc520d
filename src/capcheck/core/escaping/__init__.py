"""Escaping for every output language, one module each, shared by ``check``'s reporters, ``diff`` and the CLI.

* :mod:`.controls`: how any hidden character is shown (``␛``, ``\\x9b``), the same in every format;
* :mod:`.terminal`: text report, ``diff`` text and error messages (:func:`terminal`);
* :mod:`.markdown`: PR comments and job summaries (:func:`md_escape`), and the comment length limit;
* :mod:`.csv`: spreadsheet cells (:func:`csv_line`: no live formula, no forged row);
* :mod:`.html`: the HTML report (:func:`esc`); :mod:`.xml`: JUnit (:func:`xml_text`);
* :mod:`.json`: JSON and SARIF documents (:func:`json_text`: nothing raw; :func:`json_safe`: no lone surrogates).
* :mod:`.ci`: GitHub Actions and Azure Pipelines logs (:func:`github_data`, :func:`azure_data` ...: no forged command).
"""

from capcheck.core.escaping.ci import azure_data, azure_property, defuse, github_data, github_property
from capcheck.core.escaping.controls import reveal, visible
from capcheck.core.escaping.csv import csv_cell, csv_line
from capcheck.core.escaping.html import esc
from capcheck.core.escaping.json import json_safe, json_text
from capcheck.core.escaping.markdown import fit_comment, md_escape, truncated_line
from capcheck.core.escaping.terminal import terminal
from capcheck.core.escaping.xml import xml_text

__all__ = [
    "azure_data",
    "azure_property",
    "csv_cell",
    "csv_line",
    "defuse",
    "esc",
    "fit_comment",
    "github_data",
    "github_property",
    "json_safe",
    "json_text",
    "md_escape",
    "reveal",
    "terminal",
    "truncated_line",
    "visible",
    "xml_text",
]
