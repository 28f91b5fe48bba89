Attribute VB_Name = "ZwgkButtons"
' Buttons of the zwgk_xl control workbook (zwgk_xl.xlsm).
' Each macro runs one function of the Python module zwgk_xl.addin through
' xlwings' RunPython (the standalone xlwings module in this project).
' Paths, round and due date are read by Python from the settings sheet;
' nothing but the function name travels in the RunPython string.
' Keep this file ASCII: the VBA project's code page turns other text into '?'.
Option Explicit

Public Sub ParseSuperior()
    RunPython "import zwgk_xl.addin as a; a.parse_superior()"
End Sub

Public Sub DecomposePlan()
    RunPython "import zwgk_xl.addin as a; a.decompose_plan()"
End Sub

Public Sub SplitForms()
    RunPython "import zwgk_xl.addin as a; a.split_forms()"
End Sub

Public Sub SendMail()
    RunPython "import zwgk_xl.addin as a; a.send_mail()"
End Sub

Public Sub MergeReturns()
    RunPython "import zwgk_xl.addin as a; a.merge_returns()"
End Sub

Public Sub MakeReport()
    RunPython "import zwgk_xl.addin as a; a.make_report()"
End Sub

Public Sub RemindUnits()
    RunPython "import zwgk_xl.addin as a; a.remind_units()"
End Sub
